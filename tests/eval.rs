//! `silkroute eval` end to end on the test model: progress on stderr while it
//! runs, the table on stdout, and `--out` with every scored field and every
//! system's output, findings and scores.

mod common;
use common::test_model;
use std::process::Command;

#[test]
fn eval_reports_progress_and_writes_every_field() {
    let dev = tempfile::tempdir().unwrap();
    std::fs::write(
        dev.path().join("en.jsonl"),
        r#"{"id": "t1", "lang": "en", "brand": "Acme", "source": {"title": "Acme lamp, 5 W", "bullets": ["Warm light"]}, "refs": {"de": {"title": "Acme Lampe, 5 W", "bullets": ["Warmes Licht"]}, "fr": {"title": "Lampe Acme, 5 W", "bullets": ["Lumière chaude"]}}}
"#,
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let out_file = data.path().join("out.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_silkroute"))
        .arg("--data-dir")
        .arg(data.path())
        .args([
            "eval",
            "--langs",
            "de",
            "--attempts",
            "1",
            "--systems",
            "naive,baseline",
            "--split",
            "dev",
            "--dev-set",
        ])
        .arg(dev.path())
        .arg("--model")
        .arg(test_model())
        .arg("--out")
        .arg(&out_file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // Not a terminal: one line as each system starts and ends the pair.
    assert!(stderr.contains("eval: en→de naive: 1 listings"), "{stderr}");
    assert!(stderr.contains("eval: en→de baseline: 1/1"), "{stderr}");
    assert!(
        stdout.contains("en→de   naive") && stdout.contains("en→de   baseline"),
        "{stdout}"
    );
    let records: Vec<serde_json::Value> = std::fs::read_to_string(&out_file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2, "title and one bullet, fr not asked for");
    assert_eq!(records[0]["field"], "title");
    assert_eq!(records[0]["source"], "Acme lamp, 5 W");
    assert_eq!(records[1]["reference"], "Warmes Licht");
    for r in &records {
        for sys in ["naive", "baseline"] {
            let s = &r["systems"][sys];
            assert!(s["output"].is_string(), "{r}");
            assert!(
                s["chrf"]
                    .as_f64()
                    .is_some_and(|c| (0.0..=100.0).contains(&c)),
                "{r}"
            );
            assert!(s["flagged"].is_boolean() && s["findings"].is_array(), "{r}");
            // Flagged exactly when a finding blocks.
            let blocking = s["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["blocking"] == true);
            assert_eq!(s["flagged"], blocking, "{r}");
        }
    }
    let bad = Command::new(env!("CARGO_BIN_EXE_silkroute"))
        .arg("--data-dir")
        .arg(data.path())
        .args(["eval", "--systems", "naive,magic"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown system `magic`"));
}
