//! Types as the kernel writes them (`linfa_clustering::KMeans<f64, L2Dist>`, `&mut T`), reduced
//! to the name and crate a method lookup matches on.

/// A type as the kernel writes it, reduced to what a lookup needs.
pub(crate) struct ParsedType<'a> {
    /// The last path segment of the outermost type: `KMeans`.
    pub name: &'a str,
    /// The first path segment when the path has several: `linfa_clustering`.
    pub krate: Option<&'a str>,
    /// The first generic argument, for `Box<T>` and the like.
    pub first_arg: Option<&'a str>,
}

impl<'a> ParsedType<'a> {
    pub fn parse(ty: &'a str) -> Option<ParsedType<'a>> {
        let mut ty = ty.trim();
        loop {
            let before = ty;
            ty = ty.trim_start_matches('&').trim_start();
            if let Some(rest) = ty.strip_prefix('\'') {
                let end = rest
                    .find(|c: char| !(c == '_' || c.is_alphanumeric()))
                    .unwrap_or(rest.len());
                ty = rest[end..].trim_start();
            }
            for keyword in ["mut ", "dyn ", "impl "] {
                if let Some(rest) = ty.strip_prefix(keyword) {
                    ty = rest.trim_start();
                }
            }
            if ty == before {
                break;
            }
        }
        let (head, args) = match ty.find('<') {
            Some(open) => (&ty[..open], Some(&ty[open + 1..])),
            None => (ty, None),
        };
        let head = head.trim().trim_start_matches("::");
        let segments: Vec<&str> = head.split("::").map(str::trim).collect();
        let name = *segments.last()?;
        if name.is_empty() || !name.chars().all(|c| c == '_' || c.is_alphanumeric()) {
            return None;
        }
        let krate = (segments.len() > 1).then(|| segments[0]);
        let first_arg = args.and_then(first_generic_arg);
        Some(ParsedType {
            name,
            krate,
            first_arg,
        })
    }
}

/// The first argument of `A, B<C>>`, the text after a generic list's `<`.
fn first_generic_arg(args: &str) -> Option<&str> {
    let mut depth = 0usize;
    for (i, c) in args.char_indices() {
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' if depth == 0 => return Some(args[..i].trim()),
            '>' | ')' | ']' => depth -= 1,
            ',' if depth == 0 => return Some(args[..i].trim()),
            _ => {}
        }
    }
    None
}
