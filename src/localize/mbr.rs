//! Choosing among candidate translations and scoring them without a reference:
//! minimum-Bayes-risk selection with chrF as the utility ([`mbr_pick`]), the
//! round-trip score (chrF of the back-translation against the source,
//! [`roundtrip_score`]), the rank correlation used to judge it ([`spearman`]),
//! and the per-language threshold below which a field is flagged
//! ([`calibrate_threshold`]). Pure functions; the pipeline and `silkroute eval`
//! call them.

use super::chrf::chrf;

/// Scores closer than this are a tie.
const TIE: f64 = 1e-9;

/// The MBR expected utility of each candidate: its mean chrF against every
/// other candidate taken as a pseudo-reference. One candidate scores 100.
pub fn mbr_utilities(candidates: &[&str]) -> Vec<f64> {
    let n = candidates.len();
    if n == 1 {
        return vec![100.0];
    }
    (0..n)
        .map(|i| {
            let sum: f64 = (0..n)
                .filter(|&j| j != i)
                .map(|j| chrf(candidates[i], candidates[j]))
                .sum();
            sum / (n - 1) as f64
        })
        .collect()
}

/// The index of the candidate with the highest MBR utility ([`mbr_utilities`]);
/// ties go to the higher `tie_break` score (e.g. the round-trip score; missing
/// entries count as lowest), then to the earlier candidate (the greedy one comes
/// first). `None` when there are no candidates.
pub fn mbr_pick(candidates: &[&str], tie_break: &[f64]) -> Option<usize> {
    let u = mbr_utilities(candidates);
    let tb = |i: usize| tie_break.get(i).copied().unwrap_or(f64::NEG_INFINITY);
    let mut best: Option<usize> = None;
    for i in 0..candidates.len() {
        best = match best {
            None => Some(i),
            Some(b) if u[i] > u[b] + TIE => Some(i),
            Some(b) if (u[i] - u[b]).abs() <= TIE && tb(i) > tb(b) + TIE => Some(i),
            keep => keep,
        };
    }
    best
}

/// The round-trip score of a translation: chrF (0–100) of its translation back
/// into the source language against the original source. Low means the meaning
/// may have drifted.
pub fn roundtrip_score(source: &str, back_translation: &str) -> f64 {
    chrf(back_translation, source)
}

/// Ranks (1-based, ties get their mean rank).
fn ranks(xs: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..xs.len()).collect();
    idx.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let mut r = vec![0.0; xs.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && xs[idx[j + 1]] == xs[idx[i]] {
            j += 1;
        }
        let mean = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = mean;
        }
        i = j + 1;
    }
    r
}

/// Spearman's rank correlation of two equally long series (Pearson over ranks,
/// ties averaged). `None` with fewer than two points, different lengths, or a
/// series that is constant.
pub fn spearman(xs: &[f64], ys: &[f64]) -> Option<f64> {
    if xs.len() != ys.len() || xs.len() < 2 {
        return None;
    }
    let (rx, ry) = (ranks(xs), ranks(ys));
    let n = xs.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx == 0.0 || syy == 0.0 {
        return None;
    }
    Some(sxy / (sxx * syy).sqrt())
}

/// A calibrated flag threshold and how it does on the data it was fitted to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    /// Flag a field whose round-trip score is below this.
    pub below: f64,
    /// Share of fields it flags (0–1).
    pub flagged_share: f64,
    /// Share of the bad fields it flags (recall, 0–1).
    pub bad_caught: f64,
    /// Share of the good fields it flags (false alarms, 0–1).
    pub good_flagged: f64,
}

/// Fit the round-trip threshold for one language: `fields` are (round-trip
/// score, quality against the reference) pairs; a field is bad when its quality
/// is below `bad_below`. Among thresholds flagging at most `max_share` of the
/// fields, choose the one with the highest Youden index (bad caught minus good
/// flagged); ties go to the lower threshold (fewer flags). `None` without both
/// good and bad fields.
pub fn calibrate_threshold(
    fields: &[(f64, f64)],
    bad_below: f64,
    max_share: f64,
) -> Option<Threshold> {
    let bad = fields.iter().filter(|f| f.1 < bad_below).count();
    let good = fields.len() - bad;
    if bad == 0 || good == 0 {
        return None;
    }
    let mut cuts: Vec<f64> = fields.iter().map(|f| f.0).collect();
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    // Candidate thresholds: just above each observed score (flag it and all
    // below), plus "flag nothing".
    let mut best: Option<(f64, Threshold)> = None;
    for below in std::iter::once(f64::NEG_INFINITY).chain(cuts.iter().map(|c| c + 1e-6)) {
        let flagged: Vec<&(f64, f64)> = fields.iter().filter(|f| f.0 < below).collect();
        let share = flagged.len() as f64 / fields.len() as f64;
        if share > max_share + 1e-12 {
            break;
        }
        let caught = flagged.iter().filter(|f| f.1 < bad_below).count();
        let t = Threshold {
            below: if below.is_finite() { below } else { 0.0 },
            flagged_share: share,
            bad_caught: caught as f64 / bad as f64,
            good_flagged: (flagged.len() - caught) as f64 / good as f64,
        };
        let youden = t.bad_caught - t.good_flagged;
        if best.as_ref().is_none_or(|(y, _)| youden > *y + TIE) {
            best = Some((youden, t));
        }
    }
    best.map(|(_, t)| t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mbr_picks_the_consensus_candidate() {
        let c = [
            "Edelstahl Trinkflasche 750 ml, auslaufsicher",
            "Trinkflasche aus Edelstahl 750 ml, auslaufsicher",
            "Schmutz Flasche 750 ml",
            "Edelstahl Trinkflasche 750 ml, auslaufsicherer Deckel",
        ];
        let u = mbr_utilities(&c);
        assert!(u[2] < u[0] && u[2] < u[1] && u[2] < u[3], "{u:?}");
        let pick = mbr_pick(&c, &[]).unwrap();
        assert_ne!(pick, 2);
        assert_eq!(pick, (0..4).max_by(|&a, &b| u[a].total_cmp(&u[b])).unwrap());
        assert_eq!(mbr_pick(&[], &[]), None);
        assert_eq!(mbr_pick(&["nur einer"], &[]), Some(0));
        assert_eq!(mbr_utilities(&["x"]), vec![100.0]);
    }

    #[test]
    fn mbr_ties_go_to_the_round_trip_score_then_the_first() {
        // Two identical pairs: every candidate has the same utility.
        let c = ["Rost", "Rost"];
        assert_eq!(mbr_pick(&c, &[]), Some(0), "greedy first");
        assert_eq!(mbr_pick(&c, &[40.0, 80.0]), Some(1));
        assert_eq!(mbr_pick(&c, &[80.0, 40.0]), Some(0));
        // Duplicates are evidence: the repeated candidate wins.
        let c = ["Rost am Werkzeug", "Schmutz", "Rost am Werkzeug"];
        assert_eq!(mbr_pick(&c, &[0.0, 100.0, 0.0]), Some(0));
    }

    #[test]
    fn round_trip_score_is_chrf_against_the_source() {
        let src = "Stainless steel socket set resists rust";
        assert!((roundtrip_score(src, src) - 100.0).abs() < 1e-9);
        let good = roundtrip_score(src, "Stainless steel socket set, resistant to rust");
        let drifted = roundtrip_score(src, "Stainless steel socket set resists dirt");
        let bad = roundtrip_score(src, "Cloning steel kit");
        assert!(good > drifted || (good - drifted).abs() < 15.0);
        assert!(drifted > bad && good > bad, "{good} {drifted} {bad}");
    }

    #[test]
    fn spearman_matches_worked_values() {
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]), Some(1.0));
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), Some(-1.0));
        // Ties: scipy.stats.spearmanr([1,2,2,3],[1,3,2,4]) = 0.9486832980505138.
        let r = spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 3.0, 2.0, 4.0]).unwrap();
        assert!((r - 0.9486832980505138).abs() < 1e-12, "{r}");
        // No ties: 1 - 6·Σd²/(n(n²-1)) = 1 - 6·12/120 = 0.4.
        let r = spearman(&[5.0, 1.0, 4.0, 2.0, 3.0], &[2.0, 1.0, 5.0, 3.0, 4.0]).unwrap();
        assert!((r - 0.4).abs() < 1e-12, "{r}");
        assert_eq!(spearman(&[1.0], &[1.0]), None);
        assert_eq!(spearman(&[1.0, 1.0], &[1.0, 2.0]), None);
        assert_eq!(spearman(&[1.0, 2.0], &[1.0]), None);
    }

    #[test]
    fn threshold_flags_the_worst_within_the_budget() {
        // (round trip, chrF vs reference): the two bad fields have the lowest
        // round-trip scores, one good field sits between them.
        let f = [
            (20.0, 10.0),
            (30.0, 70.0),
            (35.0, 15.0),
            (60.0, 60.0),
            (70.0, 80.0),
            (80.0, 75.0),
            (85.0, 65.0),
            (90.0, 90.0),
        ];
        let t = calibrate_threshold(&f, 30.0, 0.25).unwrap();
        // 25% of 8 = 2 fields at most: flagging the lowest catches one bad
        // field and no good one; adding the second would flag a good one.
        assert!(t.below > 20.0 && t.below <= 30.0, "{t:?}");
        assert_eq!(
            (t.bad_caught, t.good_flagged, t.flagged_share),
            (0.5, 0.0, 0.125)
        );
        let t = calibrate_threshold(&f, 30.0, 0.5).unwrap();
        assert!(t.below > 35.0 && t.below < 60.0, "{t:?}");
        assert_eq!(t.bad_caught, 1.0);
        assert!(calibrate_threshold(&f, 0.0, 0.25).is_none(), "no bad field");
        // Nothing worth flagging within the budget: flag nothing.
        let t =
            calibrate_threshold(&[(10.0, 90.0), (20.0, 90.0), (30.0, 5.0)], 30.0, 0.34).unwrap();
        assert_eq!(t.flagged_share, 0.0);
    }
}
