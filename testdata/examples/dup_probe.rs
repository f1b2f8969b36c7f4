//! Probe: which duplicate-name shapes do 7-Zip and wimlib accept? (writes /tmp/dup_*.wim)
use wim_testdata::builder::{Image, Node, WimBuilder};
fn main() {
    let cases: Vec<(&str, Vec<Node>)> = vec![
        (
            "file_file_diff",
            vec![Node::file("a", "one"), Node::file("a", "two")],
        ),
        (
            "file_file_same",
            vec![Node::file("a", "one"), Node::file("a", "one")],
        ),
        (
            "file_dir",
            vec![
                Node::file("a", "one"),
                Node::dir("a", vec![Node::file("x", "x")]),
            ],
        ),
        (
            "dir_dir",
            vec![
                Node::dir("a", vec![Node::file("x", "x")]),
                Node::dir("a", vec![Node::file("y", "y")]),
            ],
        ),
        (
            "case_only",
            vec![Node::file("a", "one"), Node::file("A", "two")],
        ),
    ];
    for (name, kids) in cases {
        let b = WimBuilder::new().image(Image::new("probe", kids));
        std::fs::write(format!("/tmp/dup_{name}.wim"), b.build().bytes).unwrap();
    }
}
