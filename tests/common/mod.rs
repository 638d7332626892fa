//! Helpers shared by the integration tests that need the real test model.

use std::path::PathBuf;

/// The test model (SmolLM2-135M): `$SILKROUTE_TEST_MODEL`, else
/// `$SILKROUTE_HOME/models/`; a clear failure when neither has it (CI installs it).
pub fn test_model() -> PathBuf {
    if let Some(p) = std::env::var_os("SILKROUTE_TEST_MODEL") {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "SILKROUTE_TEST_MODEL={} does not exist",
            p.display()
        );
        return p;
    }
    let home = std::env::var_os("SILKROUTE_HOME").map(PathBuf::from);
    let p = home.map(|h| h.join("models/smollm2-135m-instruct-q4_1.gguf"));
    match p {
        Some(p) if p.is_file() => p,
        _ => panic!(
            "the test model is missing: set SILKROUTE_TEST_MODEL to smollm2-135m-instruct-q4_1.gguf \
             or install it into $SILKROUTE_HOME/models/ (scripts/test does)"
        ),
    }
}
