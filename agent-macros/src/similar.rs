//! Near-miss detection for method names and argument keys: "did you mean
//! `create`?".

/// Whether `candidate` looks like a misspelling of `target`: the same name
/// up to case and underscores, or one or two edits away (one for short
/// names, which must then start with the same letter so that `set` is not
/// taken for `get`).
pub(crate) fn is_near_miss(candidate: &str, target: &str) -> bool {
    let candidate = normalize(candidate);
    let target = normalize(target);
    if candidate == target {
        return true;
    }
    let distance = edit_distance(&candidate, &target);
    if target.len() <= 4 {
        distance <= 1 && candidate.chars().next() == target.chars().next()
    } else {
        distance <= 2.min(target.len() / 3)
    }
}

/// The first of `targets` that `candidate` is a near miss of.
pub(crate) fn closest<'a>(candidate: &str, targets: &[&'a str]) -> Option<&'a str> {
    targets
        .iter()
        .copied()
        .find(|target| is_near_miss(candidate, target))
}

fn normalize(name: &str) -> String {
    name.trim_start_matches("r#")
        .chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Optimal string alignment distance: insertions, deletions, substitutions
/// and transpositions of adjacent characters each cost one.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspellings_are_near_misses() {
        for (candidate, target) in [
            ("creat", "create"),
            ("crate", "create"),
            ("Delete", "delete"),
            ("delet", "delete"),
            ("excute", "execute"),
            ("exectue", "execute"),
            ("gte", "get"),
            ("Get", "get"),
            ("getLogs", "get_logs"),
            ("get_log", "get_logs"),
            ("get_metric", "get_metrics"),
            ("Do", "do"),
            ("tasktype", "task_type"),
            ("task_typ", "task_type"),
            ("verison", "version"),
        ] {
            assert!(is_near_miss(candidate, target), "{candidate} ~ {target}");
        }
    }

    #[test]
    fn helpers_are_not_near_misses() {
        for (candidate, target) in [
            ("set", "get"),
            ("put", "get"),
            ("client", "create"),
            ("new", "name"),
            ("poll", "get"),
            ("cancel", "delete"),
            ("run", "execute"),
            ("get_status", "get_logs"),
        ] {
            assert!(!is_near_miss(candidate, target), "{candidate} !~ {target}");
        }
    }
}
