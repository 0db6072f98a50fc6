//! The README's library example is `examples/readme.rs`, which the build compiles;
//! this keeps the copy in the README identical to it.

#[test]
fn readme_shows_examples_readme_rs_verbatim() {
    let readme = include_str!("../../../README.md");
    let example = include_str!("../examples/readme.rs");
    // Everything after the module doc comment.
    let code: String = example
        .lines()
        .skip_while(|line| line.starts_with("//!"))
        .map(|line| format!("{line}\n"))
        .collect();
    assert!(
        readme.contains(&code),
        "README.md must contain the code of examples/readme.rs (after its doc comment):\n{code}"
    );
}
