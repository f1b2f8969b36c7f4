//! The IMAGE argument: 1-based index, image name, or `all`.

use crate::error::{CliError, ErrorCode};
use crate::model::ImageSummary;

/// A parsed IMAGE argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageArg {
    /// Every image.
    All,
    /// A number (validated against the image count later).
    Index(u64),
    /// A name to look up in the XML.
    Name(String),
}

impl ImageArg {
    /// Classifies the text: decimal digits are an index, `all` (any case) is all.
    pub fn parse(s: &str) -> ImageArg {
        if s.eq_ignore_ascii_case("all") {
            ImageArg::All
        } else if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            ImageArg::Index(s.parse().unwrap_or(u64::MAX))
        } else {
            ImageArg::Name(s.to_string())
        }
    }

    /// Resolves to 1-based indices (all images for `All`), with wimlib's messages.
    pub fn resolve(
        &self,
        text: &str,
        wimfile: &str,
        images: &[ImageSummary],
    ) -> Result<Vec<u32>, CliError> {
        let found = match self {
            ImageArg::All => return Ok(images.iter().map(|i| i.index).collect()),
            ImageArg::Index(0) => {
                return Err(CliError::Lib {
                    code: ErrorCode::InvalidImage,
                    detail: Vec::new(),
                    command_lines: vec![format!(
                        "ERROR: \"{text}\" is not a valid image in \"{wimfile}\""
                    )],
                });
            }
            ImageArg::Index(n) => images
                .iter()
                .find(|i| u64::from(i.index) == *n)
                .map(|i| i.index),
            ImageArg::Name(name) => images.iter().find(|i| i.name == *name).map(|i| i.index),
        };
        found
            .map(|i| vec![i])
            .ok_or_else(|| not_valid(text, wimfile))
    }
}

/// wimlib-imagex's "not a valid image" report (exit 18).
pub fn not_valid(text: &str, wimfile: &str) -> CliError {
    CliError::Lib {
        code: ErrorCode::InvalidImage,
        detail: Vec::new(),
        command_lines: vec![
            format!("ERROR: \"{text}\" is not a valid image in \"{wimfile}\"!"),
            "       Please specify a 1-based image index or image name.  To list the images"
                .to_string(),
            "       contained in the WIM archive, run".to_string(),
            String::new(),
            format!("           wimlib-imagex info \"{wimfile}\""),
            String::new(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imgs() -> Vec<ImageSummary> {
        ["First", "", "Third"]
            .iter()
            .enumerate()
            .map(|(i, n)| ImageSummary {
                index: u32::try_from(i + 1).unwrap_or(0),
                name: n.to_string(),
                ..Default::default()
            })
            .collect()
    }

    #[test]
    fn index_name_all() {
        let im = imgs();
        assert_eq!(ImageArg::parse("3").resolve("3", "m.wim", &im), Ok(vec![3]));
        assert_eq!(
            ImageArg::parse("First").resolve("First", "m.wim", &im),
            Ok(vec![1])
        );
        assert_eq!(
            ImageArg::parse("all").resolve("all", "m.wim", &im),
            Ok(vec![1, 2, 3])
        );
    }

    /// Text captured from `wimlib-imagex info multi.wim 4` (3 images), exit 18.
    #[test]
    fn out_of_range_message() {
        let e = ImageArg::parse("4").resolve("4", "multi.wim", &imgs());
        let e = match e {
            Err(e) => e,
            Ok(v) => panic!("resolved to {v:?}"),
        };
        assert_eq!(e.exit_code(), 18);
        assert_eq!(
            e.render(),
            "ERROR: \"4\" is not a valid image in \"multi.wim\"!\n\
             \x20      Please specify a 1-based image index or image name.  To list the images\n\
             \x20      contained in the WIM archive, run\n\
             \n\
             \x20          wimlib-imagex info \"multi.wim\"\n\
             \n\
             ERROR: Exiting with error code 18:\n\
             \x20      Tried to select an image that does not exist in the WIM.\n"
        );
    }

    #[test]
    fn zero_has_short_message() {
        let e = ImageArg::parse("0").resolve("0", "multi.wim", &imgs());
        let e = match e {
            Err(e) => e,
            Ok(v) => panic!("resolved to {v:?}"),
        };
        assert!(
            e.render()
                .starts_with("ERROR: \"0\" is not a valid image in \"multi.wim\"\n")
        );
    }
}
