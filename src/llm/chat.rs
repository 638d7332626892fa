//! Chat templates: turning a conversation (`&[ChatMessage]`) into the prompt
//! text a model was trained on, ending with the generation prompt.
//!
//! [`ChatTemplate`] renders one of a few fixed families ([`ChatFamily`]):
//! ChatML (Qwen2.5, SmolLM2 and many others), Llama 3 and Gemma. The family
//! comes from the model manifest or is recognised from the GGUF's
//! `tokenizer.chat_template` ([`ChatTemplate::from_gguf`]). The templates are
//! written out here rather than executed from the file's Jinja source: the
//! formats are tiny and fixed, a Jinja engine would execute untrusted template
//! code, and the hand-written renderer is exact and testable. The engine calls
//! [`ChatTemplate::render`] and encodes the result with the tokenizer
//! (`add_special = true`, which adds BOS where the model wants it; the templates
//! never write BOS themselves).

use candle_core::quantized::gguf_file::{Content, Value};

use super::api::{ChatMessage, LlmError, Role};

/// Longest `tokenizer.chat_template` inspected (real ones are a few KiB).
const MAX_TEMPLATE_BYTES: usize = 256 << 10;
/// Longest default system prompt taken from a template.
const MAX_DEFAULT_SYSTEM: usize = 2048;

/// A chat prompt format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChatFamily {
    /// `<|im_start|>role\n…<|im_end|>\n`, generation prompt `<|im_start|>assistant\n`.
    ChatMl,
    /// `<|start_header_id|>role<|end_header_id|>\n\n…<|eot_id|>`.
    Llama3,
    /// `<start_of_turn>user\n…<end_of_turn>\n`, the system prompt folded into the
    /// first user turn, generation prompt `<start_of_turn>model\n`.
    Gemma,
}

impl ChatFamily {
    /// The family named in the manifest (`chatml`, `llama3`, `gemma`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "chatml" => Some(Self::ChatMl),
            "llama3" => Some(Self::Llama3),
            "gemma" => Some(Self::Gemma),
            _ => None,
        }
    }

    /// The manifest name of the family.
    pub fn name(self) -> &'static str {
        match self {
            Self::ChatMl => "chatml",
            Self::Llama3 => "llama3",
            Self::Gemma => "gemma",
        }
    }

    /// Recognise the family from a GGUF's Jinja `tokenizer.chat_template` by the
    /// markers it writes.
    pub fn detect(template: &str) -> Option<Self> {
        if template.contains("<|im_start|>") {
            Some(Self::ChatMl)
        } else if template.contains("<|start_header_id|>") {
            Some(Self::Llama3)
        } else if template.contains("<start_of_turn>") {
            Some(Self::Gemma)
        } else {
            None
        }
    }

    /// Strings that end the model's turn in this family; the tokenizer's
    /// `eos_ids` already covers them as tokens, these are for text matching.
    pub fn end_of_turn(self) -> &'static str {
        match self {
            Self::ChatMl => "<|im_end|>",
            Self::Llama3 => "<|eot_id|>",
            Self::Gemma => "<end_of_turn>",
        }
    }
}

/// Renders conversations for one model. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatTemplate {
    family: ChatFamily,
    default_system: Option<String>,
}

impl ChatTemplate {
    /// A template of `family` with no default system prompt.
    pub fn new(family: ChatFamily) -> Self {
        Self {
            family,
            default_system: None,
        }
    }

    /// Use `system` when a conversation has no system message (as Qwen's and
    /// SmolLM2's own templates do).
    pub fn with_default_system(mut self, system: impl Into<String>) -> Self {
        self.default_system = Some(system.into());
        self
    }

    /// The template for a GGUF: the family recognised from
    /// `tokenizer.chat_template` (ChatML when the key is absent, the common case
    /// for base conversions) and, for ChatML, the default system prompt the
    /// template writes when the conversation has none.
    pub fn from_gguf(ct: &Content) -> Result<Self, LlmError> {
        let template = match ct.metadata.get("tokenizer.chat_template") {
            None => return Ok(Self::new(ChatFamily::ChatMl)),
            Some(Value::String(s)) if s.len() <= MAX_TEMPLATE_BYTES => s.as_str(),
            Some(Value::String(s)) => {
                return Err(LlmError::Metadata(format!(
                    "tokenizer.chat_template (is {} bytes, more than the {MAX_TEMPLATE_BYTES} accepted)",
                    s.len()
                )));
            }
            Some(_) => {
                return Err(LlmError::Metadata(
                    "tokenizer.chat_template (expected a string)".into(),
                ));
            }
        };
        let family = ChatFamily::detect(template).ok_or_else(|| {
            LlmError::Metadata(
                "tokenizer.chat_template (not a ChatML, Llama 3 or Gemma template)".into(),
            )
        })?;
        let mut t = Self::new(family);
        if family == ChatFamily::ChatMl {
            t.default_system = default_system_of_chatml(template);
        }
        Ok(t)
    }

    /// The family.
    pub fn family(&self) -> ChatFamily {
        self.family
    }

    /// The system prompt used when a conversation has none.
    pub fn default_system(&self) -> Option<&str> {
        self.default_system.as_deref()
    }

    /// The prompt for `messages`, ending with the generation prompt for the
    /// assistant's reply. Message contents are inserted verbatim.
    pub fn render(&self, messages: &[ChatMessage]) -> String {
        let cap = messages.iter().map(|m| m.content.len() + 32).sum::<usize>() + 128;
        let mut out = String::with_capacity(cap);
        let has_system = messages.first().is_some_and(|m| m.role == Role::System);
        match self.family {
            ChatFamily::ChatMl => {
                if let (false, Some(sys)) = (has_system, &self.default_system) {
                    push_chatml(&mut out, "system", sys);
                }
                for m in messages {
                    push_chatml(&mut out, role_name(m.role), &m.content);
                }
                out.push_str("<|im_start|>assistant\n");
            }
            ChatFamily::Llama3 => {
                if let (false, Some(sys)) = (has_system, &self.default_system) {
                    push_llama3(&mut out, "system", sys);
                }
                for m in messages {
                    push_llama3(&mut out, role_name(m.role), &m.content);
                }
                out.push_str("<|start_header_id|>assistant<|end_header_id|>\n\n");
            }
            ChatFamily::Gemma => {
                // Gemma has no system role: the system text opens the first user turn.
                let mut pending_system = if has_system {
                    None
                } else {
                    self.default_system.clone()
                };
                for m in messages {
                    match m.role {
                        Role::System => {
                            pending_system = Some(match pending_system.take() {
                                Some(s) => format!("{s}\n\n{}", m.content),
                                None => m.content.clone(),
                            })
                        }
                        Role::User => {
                            out.push_str("<start_of_turn>user\n");
                            if let Some(sys) = pending_system.take() {
                                out.push_str(sys.trim());
                                out.push_str("\n\n");
                            }
                            out.push_str(m.content.trim());
                            out.push_str("<end_of_turn>\n");
                        }
                        Role::Assistant => {
                            out.push_str("<start_of_turn>model\n");
                            out.push_str(m.content.trim());
                            out.push_str("<end_of_turn>\n");
                        }
                    }
                }
                out.push_str("<start_of_turn>model\n");
            }
        }
        out
    }
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

fn push_chatml(out: &mut String, role: &str, content: &str) {
    out.push_str("<|im_start|>");
    out.push_str(role);
    out.push('\n');
    out.push_str(content);
    out.push_str("<|im_end|>\n");
}

fn push_llama3(out: &mut String, role: &str, content: &str) {
    out.push_str("<|start_header_id|>");
    out.push_str(role);
    out.push_str("<|end_header_id|>\n\n");
    out.push_str(content.trim());
    out.push_str("<|eot_id|>");
}

/// The literal system prompt a ChatML Jinja template writes when the
/// conversation has none: the text between `<|im_start|>system\n` and
/// `<|im_end|>` inside one string literal (Qwen: "You are Qwen, created by
/// Alibaba Cloud. …"; SmolLM2: "You are a helpful AI assistant named SmolLM …").
fn default_system_of_chatml(template: &str) -> Option<String> {
    const OPEN: &str = "<|im_start|>system";
    let mut rest = template;
    while let Some(at) = rest.find(OPEN) {
        rest = &rest[at + OPEN.len()..];
        let body = rest
            .strip_prefix("\\n")
            .or_else(|| rest.strip_prefix('\n'))
            .unwrap_or(rest);
        let Some(end) = body.find("<|im_end|>") else {
            break;
        };
        let text = &body[..end];
        // Inside one literal: no quote, no Jinja expression, no concatenation.
        let literal = !text.is_empty()
            && text.len() <= MAX_DEFAULT_SYSTEM
            && !text.contains(['\'', '"', '{', '}', '+']);
        if literal {
            return Some(text.replace("\\n", "\n"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const QWEN_TEMPLATE_EXCERPT: &str = "{%- if messages[0]['role'] == 'system' %}\n        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n    {%- else %}\n        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}\n    {%- endif %}";
    const SMOL_TEMPLATE: &str = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    #[test]
    fn chatml_with_default_system() {
        let t = ChatTemplate::new(ChatFamily::ChatMl).with_default_system("Be brief.");
        let p = t.render(&[ChatMessage::user("Hi")]);
        assert_eq!(
            p,
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
        );
    }

    #[test]
    fn chatml_given_system_replaces_default() {
        let t = ChatTemplate::new(ChatFamily::ChatMl).with_default_system("Be brief.");
        let p = t.render(&[
            ChatMessage::system("Translate."),
            ChatMessage::user("Hat"),
            ChatMessage::assistant("hat"),
            ChatMessage::user("Schuh"),
        ]);
        assert_eq!(
            p,
            "<|im_start|>system\nTranslate.<|im_end|>\n<|im_start|>user\nHat<|im_end|>\n<|im_start|>assistant\nhat<|im_end|>\n<|im_start|>user\nSchuh<|im_end|>\n<|im_start|>assistant\n"
        );
    }

    #[test]
    fn chatml_without_default_system() {
        let p = ChatTemplate::new(ChatFamily::ChatMl).render(&[ChatMessage::user("x")]);
        assert_eq!(p, "<|im_start|>user\nx<|im_end|>\n<|im_start|>assistant\n");
    }

    #[test]
    fn default_system_prompts_are_read_from_templates() {
        assert_eq!(
            default_system_of_chatml(QWEN_TEMPLATE_EXCERPT).as_deref(),
            Some("You are Qwen, created by Alibaba Cloud. You are a helpful assistant.")
        );
        assert_eq!(
            default_system_of_chatml(SMOL_TEMPLATE).as_deref(),
            Some("You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        );
        assert_eq!(
            default_system_of_chatml("{{ '<|im_start|>' + role }}"),
            None
        );
    }

    #[test]
    fn families_are_detected() {
        assert_eq!(ChatFamily::detect(SMOL_TEMPLATE), Some(ChatFamily::ChatMl));
        assert_eq!(
            ChatFamily::detect("{{ '<|start_header_id|>' + m.role }}"),
            Some(ChatFamily::Llama3)
        );
        assert_eq!(
            ChatFamily::detect("{{ '<start_of_turn>' }}"),
            Some(ChatFamily::Gemma)
        );
        assert_eq!(ChatFamily::detect("[INST]"), None);
        for f in [ChatFamily::ChatMl, ChatFamily::Llama3, ChatFamily::Gemma] {
            assert_eq!(ChatFamily::from_name(f.name()), Some(f));
        }
    }

    #[test]
    fn llama3_format() {
        let p = ChatTemplate::new(ChatFamily::Llama3)
            .render(&[ChatMessage::system(" S "), ChatMessage::user("U")]);
        assert_eq!(
            p,
            "<|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
        );
    }

    #[test]
    fn gemma_folds_system_into_first_user_turn() {
        let p = ChatTemplate::new(ChatFamily::Gemma).render(&[
            ChatMessage::system("S"),
            ChatMessage::user("U"),
            ChatMessage::assistant("A"),
            ChatMessage::user("V"),
        ]);
        assert_eq!(
            p,
            "<start_of_turn>user\nS\n\nU<end_of_turn>\n<start_of_turn>model\nA<end_of_turn>\n<start_of_turn>user\nV<end_of_turn>\n<start_of_turn>model\n"
        );
    }
}
