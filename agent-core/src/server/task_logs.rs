//! Log lines split into message-sized groups, so that no `GetTaskLogs`
//! body passes the message size limit.

/// Splits `lines` into groups of about `body_bytes` of text each: a group
/// grows until the next line would pass the size (a single longer line gets
/// a group of its own). There is always at least one group, empty when there
/// are no lines, so a caller always sends one body.
pub(crate) fn chunks(lines: Vec<String>, body_bytes: usize) -> Vec<Vec<String>> {
    let mut groups = Vec::new();
    let mut group = Vec::new();
    let mut size = 0;
    for line in lines {
        if size > 0 && size + line.len() > body_bytes {
            groups.push(std::mem::take(&mut group));
            size = 0;
        }
        size += line.len();
        group.push(line);
    }
    if !group.is_empty() || groups.is_empty() {
        groups.push(group);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_are_split_into_groups_under_the_size() {
        let lines: Vec<String> = (0..10).map(|i| format!("line {i:04}")).collect();
        let groups = chunks(lines, 20);
        assert_eq!(groups.len(), 5);
        assert!(groups.iter().all(|group| group.len() == 2));
        assert_eq!(groups[4][1], "line 0009");
    }

    #[test]
    fn no_lines_still_make_one_group() {
        assert_eq!(chunks(Vec::new(), 20), vec![Vec::<String>::new()]);
    }

    #[test]
    fn a_line_longer_than_the_size_has_a_group_of_its_own() {
        let groups = chunks(vec!["a".into(), "x".repeat(50), "b".into()], 20);
        assert_eq!(groups.len(), 3);
    }
}
