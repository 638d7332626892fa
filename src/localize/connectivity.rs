//! The wireless technologies a text names, for the `connectivity_added`
//! check: a translation that names Wi-Fi where its source says Bluetooth (an
//! LED strip's 蓝牙APP控制, Bluetooth app control, came back in German with
//! "WLAN") sells the buyer a product that cannot do what they bought it for,
//! and every number is still there.
//!
//! The technologies: Bluetooth, Wi-Fi, NFC, GPS, Zigbee. Each is written the
//! same way in most languages (an acronym or a brand name) and has a few
//! native forms (蓝牙, ブルートゥース, 블루투스, บลูทูธ, بلوتوث, блютуз; WLAN,
//! 無線LAN, 와이파이, вай-фай). A source names one by any of its forms, in any
//! language; an output by the same table. Latin-script forms are read at word
//! boundaries ("gps" not in "gpsx"; "bluetooth" also at the start of a word,
//! "Bluetooth-Lautsprecher"), the others anywhere.

/// Each technology's name (as the finding gives it) and its forms, in lower
/// case. A form of Latin letters ends in `*` where it may start a longer
/// word.
#[rustfmt::skip]
const TABLE: &[(&str, &[&str])] = &[
    ("Bluetooth", &["bluetooth*", "blue tooth", "蓝牙", "藍牙", "ブルートゥース", "ブルーツース", "블루투스", "บลูทูธ", "بلوتوث", "البلوتوث", "блютуз*", "блютус*"]),
    ("Wi-Fi", &["wi-fi", "wifi*", "wi fi", "wlan", "无线网络", "无线局域网", "無線lan", "ワイファイ", "와이파이", "ไวไฟ", "واي فاي", "الواي فاي", "вай-фай", "вайфай"]),
    ("NFC", &["nfc", "近场通信", "近距离无线通信"]),
    ("GPS", &["gps", "全球定位"]),
    ("Zigbee", &["zigbee"]),
];

/// Whether `lower` (a text in lower case) has `form`: at word boundaries for
/// a form of Latin or Cyrillic letters, anywhere for the others.
fn has(lower: &str, form: &str) -> bool {
    let (stem, prefix) = match form.strip_suffix('*') {
        Some(s) => (s, true),
        None => (form, false),
    };
    let bounded = stem
        .chars()
        .all(|c| !c.is_alphabetic() || c.is_ascii() || ('\u{400}'..='\u{4ff}').contains(&c));
    if !bounded {
        return lower.contains(stem);
    }
    lower.match_indices(stem).any(|(i, m)| {
        let before = lower[..i].chars().next_back();
        let after = lower[i + m.len()..].chars().next();
        let word = |c: Option<char>| {
            c.is_some_and(|c| {
                c.is_alphanumeric() && (c.is_ascii() || ('\u{400}'..='\u{4ff}').contains(&c))
            })
        };
        !word(before) && (prefix || !word(after))
    })
}

/// The technologies a text names.
fn named(text: &str) -> Vec<&'static str> {
    let lower = text.to_lowercase();
    TABLE
        .iter()
        .filter(|(_, forms)| forms.iter().any(|f| has(&lower, f)))
        .map(|(name, _)| *name)
        .collect()
}

/// The technologies `output` names that `source` does not ("Wi-Fi" for a
/// "WLAN" in a translation of 蓝牙APP控制).
pub fn added(source: &str, output: &str) -> Vec<String> {
    let seen = named(source);
    named(output)
        .into_iter()
        .filter(|t| !seen.contains(t))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_technology_the_source_does_not_name_is_added() {
        // Bluetooth app control came back as WLAN in German.
        let src = "{1} LED灯带 {2} RGB 蓝牙APP控制 音乐同步 USB供电 {3}";
        assert_eq!(
            added(src, "{1} LED-Lampen {2} RGB-Farbwechsel, WLAN, Musik"),
            ["Wi-Fi"]
        );
        assert!(added(src, "LED-Streifen mit Bluetooth-App-Steuerung").is_empty());
        assert_eq!(added("蓝牙耳机", "Écouteurs Wi-Fi"), ["Wi-Fi"]);
        assert_eq!(
            added("Wireless earbuds", "ワイヤレスイヤホン NFC対応"),
            ["NFC"]
        );
        assert_eq!(added("无线充电器", "Cargador inalámbrico WiFi"), ["Wi-Fi"]);
        assert_eq!(
            added("智能手表", "Смарт-часы с GPS и блютуз"),
            ["Bluetooth", "GPS"]
        );
        assert_eq!(added("智能插座", "ปลั๊กอัจฉริยะ ไวไฟ"), ["Wi-Fi"]);
        // Any form of the source's technology, in any language, is no addition.
        for (src, out) in [
            ("WiFi智能插座", "Enchufe inteligente Wi-Fi"),
            ("Wi-Fi smart plug", "WLAN-Steckdose"),
            ("蓝牙5.3耳机", "블루투스 5.3 이어폰"),
            ("Bluetooth speaker", "ブルートゥーススピーカー"),
            ("NFC门锁", "Serrure NFC"),
            ("GPS定位器", "Localizzatore GPS"),
            ("支持Zigbee网关", "Compatible con pasarela ZigBee"),
        ] {
            assert!(added(src, out).is_empty(), "{src} → {out}");
        }
        // Letters around an acronym make another word.
        assert!(added("手机壳", "Funda para móvil, gpsx, nfcs, wlanx").is_empty());
    }

    #[test]
    #[ignore]
    fn measure_connectivity_added() {
        // The precision of `connectivity_added` on good translations: the
        // dev set's references and the built-in bank's pairs; then only the
        // sources that name a technology.
        crate::localize::eval::print_precision(
            |_| true,
            |_, _, a, b| {
                let x = added(a, b);
                (!x.is_empty()).then(|| format!("{x:?}"))
            },
        );
        crate::localize::eval::print_precision(
            |s| !named(s).is_empty(),
            |_, _, a, b| {
                let x = added(a, b);
                (!x.is_empty()).then(|| format!("{x:?}"))
            },
        );
    }
}
