//! The animals a text names, for the `animal_added` check: a pet feeder's
//! 单猫可喂约20天 (feeds one cat for about 20 days) came back in Thai
//! "ให้อาหารแกะเดียว" (feeds one sheep). A pet product for another animal is
//! another product, and every number is still there.
//!
//! A source is read loosely: any word of the table in its language, in
//! Chinese, Japanese or English, and the breeds and words of
//! [`SOURCE_EXTRA`] (泰迪 and 柯基 are dogs, 喵 a cat). An output is read
//! with words that name the animal wherever they stand: English "mouse" (a
//! computer's), Japanese 馬 (馬力, horsepower) and 牛 (牛革, leather),
//! Chinese 马 and 牛 (马桶, 牛仔), Thai ปลา (ปลาย, an end) and นก, Korean 개,
//! 새 and 양 are not read there. Where the source names an animal, a
//! translation that names another is flagged; a source that names none lets
//! any translation pass (a 宠物, a pet, may be written as a cat's or a dog's).

use super::seasons::{Find, named_in};

/// The animals, in the order of the table's columns.
const ANIMALS: [&str; 11] = [
    "cat", "dog", "bird", "fish", "rabbit", "hamster", "horse", "sheep", "cow", "pig", "turtle",
];

/// Per language: how its forms are found, and each animal's forms (in the
/// order of [`ANIMALS`]). Lower case.
#[rustfmt::skip]
const TABLE: &[(&str, Find, [&[&str]; 11])] = &[
    ("en", Find::Word, [&["cat", "cats", "kitten", "kittens", "kitty", "feline"], &["dog", "dogs", "puppy", "puppies", "canine"], &["bird", "birds", "parrot", "parrots"], &["fish", "fishes"], &["rabbit", "rabbits", "bunny", "bunnies"], &["hamster", "hamsters"], &["horse", "horses", "pony"], &["sheep", "lamb", "lambs"], &["cow", "cows", "cattle"], &["pig", "pigs"], &["turtle", "turtles", "tortoise", "tortoises"]]),
    ("de", Find::Word, [&["katze*", "kätzchen", "kater"], &["hund", "hunde", "hunden", "hundes", "hündchen", "welpe*"], &["vogel*", "vögel"], &["fisch", "fische", "fischen", "fisches"], &["kaninchen", "hase", "hasen"], &["hamster*"], &["pferd*"], &["schaf", "schafe", "lamm"], &["kuh", "kühe", "rind", "rinder"], &["schwein", "schweine"], &["schildkröte*"]]),
    ("fr", Find::Word, [&["chat", "chats", "chaton*", "félin*"], &["chien*", "chiot*"], &["oiseau*", "perroquet*"], &["poisson*"], &["lapin*"], &["hamster*"], &["cheval", "chevaux", "poney*"], &["mouton*", "brebis", "agneau*"], &["vache*", "bovin*"], &["cochon*", "porc", "porcs"], &["tortue*"]]),
    ("es", Find::Word, [&["gato", "gatos", "gatito*", "felino*"], &["perro*", "perrito*", "cachorro*", "canino*"], &["pájaro*", "ave", "aves", "loro*"], &["pez", "peces"], &["conejo*"], &["hámster*", "hamster*"], &["caballo*"], &["oveja*", "cordero*"], &["vaca*"], &["cerdo*"], &["tortuga*"]]),
    ("it", Find::Word, [&["gatto", "gatti", "gattin*", "felin*"], &["cane", "cani", "cagnolin*"], &["uccell*", "pappagall*"], &["pesce", "pesci", "pesciolin*"], &["coniglio", "conigli"], &["criceto", "criceti"], &["cavallo", "cavalli"], &["pecora", "pecore", "agnello"], &["mucca", "mucche"], &["maiale", "maiali"], &["tartaruga", "tartarughe"]]),
    ("pt", Find::Word, [&["gato", "gatos", "gatinho*", "felino*"], &["cão", "cães", "cachorro*", "cachorrinho*", "canino*"], &["pássaro*", "ave", "aves", "papagaio*"], &["peixe*"], &["coelho*"], &["hamster*"], &["cavalo*"], &["ovelha*", "cordeiro*"], &["vaca*"], &["porco", "porcos"], &["tartaruga*"]]),
    ("nl", Find::Word, [&["kat", "katten", "poes", "kitten"], &["hond", "honden", "hondje*", "puppy"], &["vogel*"], &["vis", "vissen"], &["konijn*"], &["hamster*"], &["paard*"], &["schaap", "schapen"], &["koe", "koeien"], &["varken*"], &["schildpad*"]]),
    ("pl", Find::Word, [&["kot", "kota", "kotu", "kotem", "koty", "kotów", "kotom", "kotami", "kotach", "kotek", "kotka", "kotki", "kociąt", "kocięta", "koci", "kocia", "kocie", "kociego"], &["pies", "psa", "psu", "psem", "psy", "psów", "psom", "psami", "psach", "psi", "psia", "psiego", "szczeni*"], &["ptak*", "ptasz*", "papug*"], &["ryba", "ryby", "ryb", "rybę", "rybą", "rybek", "rybki", "rybka"], &["królik*"], &["chomik*"], &["koń", "konia", "koni", "konie"], &["owca", "owce", "owiec", "owieczk*"], &["krowa", "krowy", "krów"], &["świnia", "świnie", "świń"], &["żółw*"]]),
    ("ru", Find::Word, [&["кот", "кота", "коту", "котом", "коты", "котов", "кошк*", "котён*", "котен*", "котят*", "кошач*"], &["собак*", "пёс", "пес", "псов", "щен*"], &["птиц*", "попуга*"], &["рыба", "рыбы", "рыб", "рыбок", "рыбки", "рыбка"], &["кролик*"], &["хомяк*", "хомячк*"], &["лошад*", "конь"], &["овц*", "овечк*", "баран*"], &["коров*"], &["свинь*", "свиней"], &["черепах*"]]),
    ("tr", Find::Word, [&["kedi*"], &["köpek*"], &["kuş", "kuşlar*", "kuşu", "papağan*"], &["balık", "balıklar*", "balığı"], &["tavşan*"], &["hamster*"], &[], &["koyun*", "kuzu*"], &["inek*"], &["domuz*"], &["kaplumbağa*"]]),
    ("id", Find::Word, [&["kucing"], &["anjing"], &["burung"], &["ikan"], &["kelinci"], &["hamster"], &["kuda"], &["domba"], &["sapi"], &["babi"], &["penyu"]]),
    ("ms", Find::Word, [&["kucing"], &["anjing"], &["burung"], &["ikan"], &["arnab"], &["hamster"], &["kuda"], &["biri"], &["lembu"], &["babi"], &["penyu"]]),
    ("vi", Find::Word, [&["mèo"], &["chó"], &["chim"], &[], &["thỏ"], &["hamster"], &["ngựa"], &["cừu"], &[], &["lợn", "heo"], &["rùa"]]),
    ("th", Find::Within, [&["แมว"], &["สุนัข"], &[], &[], &["กระต่าย"], &["แฮมสเตอร์"], &[], &["แกะ"], &[], &["หมู"], &["เต่า"]]),
    ("ar", Find::Within, [&["قطة", "قطط", "القط ", "للقطط"], &["كلب", "كلاب"], &["طيور", "طائر", "ببغاء"], &["أسماك", "سمك"], &["أرنب", "أرانب"], &["هامستر"], &["حصان", "خيول"], &["خروف", "أغنام"], &["بقرة", "أبقار"], &["خنزير"], &["سلحفاة", "سلاحف"]]),
    ("ja", Find::Within, [&["猫", "ネコ", "ねこ", "キャット"], &["犬", "イヌ", "いぬ", "ドッグ", "わんちゃん"], &["鳥", "インコ"], &["魚", "フィッシュ"], &["ウサギ", "うさぎ", "兎"], &["ハムスター"], &["ウマ"], &["羊", "ヒツジ"], &["ウシ"], &["豚", "ブタ"], &["亀", "カメ"]]),
    ("ko", Find::Within, [&["고양이"], &["강아지", "반려견", "애견"], &["조류", "앵무새"], &["물고기", "어류"], &["토끼"], &["햄스터"], &[], &[], &[], &["돼지"], &["거북"]]),
    ("zh", Find::Within, [&["猫"], &["狗", "犬"], &["鸟"], &["鱼"], &["兔"], &["仓鼠"], &[], &[], &[], &["猪"], &["龟"]]),
];

/// Words of a source, beside the table's, and the animal each names: breeds,
/// and characters the table does not read in an output (马, 牛, 羊 stand in
/// 马桶 and 牛仔 there).
const SOURCE_EXTRA: &[(&str, usize)] = &[
    ("喵", 0),
    ("布偶", 0),
    ("英短", 0),
    ("汪", 1),
    ("泰迪", 1),
    ("柯基", 1),
    ("金毛", 1),
    ("哈士奇", 1),
    ("比熊", 1),
    ("博美", 1),
    ("拉布拉多", 1),
    ("雀", 2),
    ("鹦鹉", 2),
    ("马", 6),
    ("馬", 6),
    ("羊", 7),
    ("牛", 8),
];

/// The animals `text` names in `lang`, each with the word found.
fn named(text: &str, lang: &str) -> Vec<(usize, String)> {
    named_in(text, lang, TABLE)
        .into_iter()
        .enumerate()
        .filter_map(|(k, w)| Some((k, w?)))
        .collect()
}

/// The animals a source names, read loosely ([`SOURCE_EXTRA`]; Chinese,
/// Japanese and English words count in a source of any language).
fn in_source(source: &str, src_lang: &str) -> [bool; ANIMALS.len()] {
    let mut seen = [false; ANIMALS.len()];
    for lang in [src_lang, "en", "zh", "ja"] {
        for (k, _) in named(source, lang) {
            seen[k] = true;
        }
    }
    for (w, k) in SOURCE_EXTRA {
        if source.contains(w) {
            seen[*k] = true;
        }
    }
    seen
}

/// The words of `output` that name an animal `source` does not, where the
/// source names one ("แกะ", a sheep, for 单猫, one cat). Empty where the
/// source names no animal or the output's language is not in the table.
pub fn added(source: &str, output: &str, src_lang: &str, tgt_lang: &str) -> Vec<String> {
    let seen = in_source(source, src_lang);
    if !seen.iter().any(|s| *s) {
        return Vec::new();
    }
    named(output, tgt_lang)
        .into_iter()
        .filter(|(k, _)| !seen[*k])
        .map(|(_, w)| w)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_animal_the_source_does_not_name_is_read() {
        // A cat's feeder came back a sheep's.
        let feeder = "4L大容量，单猫可喂约20天";
        assert_eq!(
            added(feeder, "ความจุ 4 L ให้อาหารแกะเดียวได้ประมาณ 20 วัน", "zh", "th"),
            ["แกะ"]
        );
        assert!(added(feeder, "ความจุ 4 L ให้อาหารแมวได้ประมาณ 20 วัน", "zh", "th").is_empty());
        // Breeds name a dog; inflected forms are read.
        let coat = "适合泰迪、柯基等中小型";
        assert!(
            added(
                coat,
                "Ideal para cães pequenos como Poodle e Corgi",
                "zh",
                "pt"
            )
            .is_empty()
        );
        assert_eq!(
            added(coat, "Ideal para gatos pequenos", "zh", "pt"),
            ["gatos"]
        );
        assert_eq!(
            added("猫砂盆 大号", "Duża kuweta dla psów", "zh", "pl"),
            ["psów"]
        );
        // A source with no animal lets anything pass; look-alike words are
        // no animals ("kotwica", an anchor; "hundert"; Korean 개).
        assert!(
            added(
                "宠物饮水机 2.5L",
                "Fontaine à eau pour chat 2,5 L",
                "zh",
                "fr"
            )
            .is_empty()
        );
        assert!(
            added(
                "狗狗牵引绳",
                "Hundeleine, hundert Prozent Nylon, mit Kotwica",
                "zh",
                "de"
            )
            .is_empty()
        );
        assert!(added("猫抓板", "고양이 스크래처 2개", "zh", "ko").is_empty());
        assert!(
            added(
                "猫抓板 瓦楞纸",
                "Kratzbrett für Katzen aus Wellpappe",
                "zh",
                "de"
            )
            .is_empty()
        );
    }

    #[test]
    #[ignore]
    fn measure_animal_added() {
        // The precision of `animal_added` on good translations whose source
        // names an animal.
        crate::localize::eval::print_precision(
            |a| in_source(a, "en").iter().any(|s| *s),
            |sl, tl, a, b| {
                let c = added(a, b, sl, tl);
                (!c.is_empty()).then(|| format!("{c:?}"))
            },
        );
    }
}
