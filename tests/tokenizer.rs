//! The GGUF-built tokenizer against reference ids, on the real model files.
//!
//! Only the GGUF header (metadata) is read, not the weights, so these tests are
//! fast. Model files are found through environment variables or the data
//! directory where `silkroute models install` puts them; a missing file fails
//! the test with the command that installs it.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use candle_core::quantized::gguf_file::Content;
use silkroute::llm::{ChatFamily, ChatMessage, ChatTemplate, Detokenizer, Tokenizer};
use silkroute::paths::DataDir;

fn model_path(env: &str, id: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(env).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let p = DataDir::resolve(None).models().join(format!("{id}.gguf"));
    assert!(
        p.is_file(),
        "model file {} not found: run `silkroute models install {id}` (or set {env} to a copy of it)",
        p.display()
    );
    p
}

fn load(path: &PathBuf) -> Content {
    let f = File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    Content::read(&mut BufReader::new(f)).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn smollm() -> Content {
    load(&model_path(
        "SILKROUTE_TEST_MODEL",
        "smollm2-135m-instruct-q4_1",
    ))
}

fn qwen() -> Content {
    load(&model_path(
        "SILKROUTE_QWEN_MODEL",
        "qwen2.5-coder-1.5b-instruct-q4_k_m",
    ))
}

#[derive(serde::Deserialize)]
struct Golden {
    cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    name: String,
    text: String,
    ids: Vec<u32>,
    decoded: String,
}

fn golden(name: &str) -> Golden {
    let path = format!("{}/tests/data/tokenizer/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn qwen_matches_reference_ids_and_round_trips() {
    let t = Tokenizer::from_gguf(&qwen()).unwrap();
    let g = golden("qwen_golden.json");
    assert!(g.cases.len() >= 10);
    for c in &g.cases {
        let ids = t.encode(&c.text, false).unwrap();
        assert_eq!(
            ids, c.ids,
            "case `{}`: ids differ from the reference",
            c.name
        );
        assert_eq!(
            t.decode(&ids).unwrap(),
            c.decoded,
            "case `{}`: decode",
            c.name
        );
    }
}

#[test]
fn qwen_special_tokens_and_template() {
    let ct = qwen();
    let t = Tokenizer::from_gguf(&ct).unwrap();
    assert_eq!(t.vocab_size(), 151_936);
    assert_eq!(t.token_to_id("<|im_start|>"), Some(151_644));
    // eos from the file (<|im_end|>) plus <|endoftext|>.
    assert_eq!(t.eos_ids(), vec![151_645, 151_643]);
    let chat = ChatTemplate::from_gguf(&ct).unwrap();
    assert_eq!(chat.family(), ChatFamily::ChatMl);
    let prompt = chat.render(&[ChatMessage::user("Hallo")]);
    assert_eq!(
        prompt,
        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nHallo<|im_end|>\n<|im_start|>assistant\n"
    );
    let ids = t.encode(&prompt, true).unwrap();
    assert_eq!(
        ids[0], 151_644,
        "no BOS for Qwen, the prompt starts with <|im_start|>"
    );
    assert_eq!(
        &ids[ids.len() - 3..],
        &[151_644, 77_091, 198],
        "<|im_start|>assistant\\n"
    );
}

#[test]
fn smollm_ids_and_round_trip() {
    let ct = smollm();
    let t = Tokenizer::from_gguf(&ct).unwrap();
    assert_eq!(t.vocab_size(), 49_152);
    // Control tokens of the SmolLM2 vocabulary sit at the start.
    assert_eq!(t.token_to_id("<|endoftext|>"), Some(0));
    assert_eq!(t.token_to_id("<|im_start|>"), Some(1));
    assert_eq!(t.token_to_id("<|im_end|>"), Some(2));
    assert_eq!(t.eos_ids(), vec![2, 0]);

    // Hand-checked against the file's own token strings: whole words with the
    // byte-level space marker, and every digit on its own (StarCoder-style).
    let ids = t
        .encode("<|im_start|>user\nHello world 2024", false)
        .unwrap();
    let pieces: Vec<String> = ids.iter().map(|&i| t.id_to_token(i).unwrap()).collect();
    assert_eq!(
        pieces,
        [
            "<|im_start|>",
            "user",
            "Ċ",
            "Hello",
            "Ġworld",
            "Ġ",
            "2",
            "0",
            "2",
            "4"
        ]
    );

    // Round trip over the multilingual sample of the Qwen goldens.
    for c in golden("qwen_golden.json").cases {
        let ids = t.encode(&c.text, false).unwrap();
        assert_eq!(t.decode(&ids).unwrap(), c.text, "case `{}`", c.name);
        // And streaming gives the same text, without splitting characters.
        let mut d = Detokenizer::new();
        let mut out = String::new();
        for &id in &ids {
            if let Some(s) = d.push(&t, id).unwrap() {
                assert!(
                    !s.contains(char::REPLACEMENT_CHARACTER),
                    "case `{}`",
                    c.name
                );
                out.push_str(&s);
            }
        }
        out.push_str(&d.flush(&t).unwrap().unwrap_or_default());
        assert_eq!(out, c.text, "case `{}` streamed", c.name);
    }

    let chat = ChatTemplate::from_gguf(&ct).unwrap();
    assert_eq!(
        chat.default_system(),
        Some("You are a helpful AI assistant named SmolLM, trained by Hugging Face")
    );
}
