//! Data sets that the repository ships under `data/`, with loaders that
//! check every line. Chapters that train on real data load it from here.

use std::fmt;
use std::path::{Path, PathBuf};

/// Why a data file could not be loaded: it names the file and, for a
/// malformed line, the line (from 1) and what is wrong with it.
#[derive(Debug)]
pub enum DataError {
    /// The file could not be read.
    Io {
        file: PathBuf,
        error: std::io::Error,
    },
    /// A line does not have the expected form.
    Malformed {
        file: PathBuf,
        line: usize,
        reason: String,
    },
    /// The file has no examples.
    Empty { file: PathBuf },
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::Io { file, error } => write!(f, "{}: {error}", file.display()),
            DataError::Malformed { file, line, reason } => {
                write!(f, "{}:{line}: {reason}", file.display())
            }
            DataError::Empty { file } => write!(f, "{}: no examples", file.display()),
        }
    }
}

impl std::error::Error for DataError {}

/// Reads `text` as rows of `width` comma-separated fields, one per line,
/// handing each row to `row`; an error of `row` becomes a
/// [`DataError::Malformed`] naming `file` and the line. A final newline (and
/// `\r\n` endings) are accepted; an empty line is malformed, an empty text
/// is [`DataError::Empty`]. `what` describes a row in the error message.
fn for_each_row(
    text: &str,
    file: &Path,
    width: usize,
    what: &str,
    mut row: impl FnMut(&[&str]) -> Result<(), String>,
) -> Result<(), DataError> {
    let bad = |line: usize, reason: String| DataError::Malformed {
        file: file.to_path_buf(),
        line,
        reason,
    };
    let body = text.strip_suffix('\n').unwrap_or(text);
    if body.is_empty() {
        return Err(DataError::Empty {
            file: file.to_path_buf(),
        });
    }
    for (i, raw) in body.split('\n').enumerate() {
        let line = i + 1;
        let fields: Vec<&str> = raw.strip_suffix('\r').unwrap_or(raw).split(',').collect();
        if fields.len() != width {
            return Err(bad(
                line,
                format!(
                    "expected {width} comma-separated values ({what}), found {}",
                    fields.len()
                ),
            ));
        }
        row(&fields).map_err(|reason| bad(line, reason))?;
    }
    Ok(())
}

/// `field` as a finite number; the error calls it `name`.
fn finite(field: &str, name: &str) -> Result<f64, String> {
    match field.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("{name} is `{field}`, not a finite number")),
    }
}

/// `field` as an integer below `count`; the error calls it `name`.
fn class(field: &str, name: &str, count: usize) -> Result<u8, String> {
    match field.trim().parse::<u8>() {
        Ok(v) if usize::from(v) < count => Ok(v),
        _ => Err(format!(
            "{name} is `{field}`, not an integer from 0 to {}",
            count - 1
        )),
    }
}

#[cfg(feature = "fs")]

fn read(file: &Path) -> Result<String, DataError> {
    std::fs::read_to_string(file).map_err(|error| DataError::Io {
        file: file.to_path_buf(),
        error,
    })
}

/// The 8×8 handwritten digits distributed with scikit-learn (BSD 3-Clause;
/// originally the UCI "Optical Recognition of Handwritten Digits" test
/// set): see `data/digits/README.md` for provenance and licence.
///
/// Each image is 64 pixels, row by row, each an integer from 0 to 16 (kept
/// as `f64`); each label is a digit from 0 to 9.
#[derive(Clone, Debug, PartialEq)]
pub struct Digits {
    pub images: Vec<[f64; Digits::PIXELS]>,
    pub labels: Vec<u8>,
}

impl Digits {
    /// Pixels per image.
    pub const PIXELS: usize = 64;
    /// The largest pixel value.
    pub const MAX_PIXEL: f64 = 16.0;
    /// The number of classes.
    pub const CLASSES: usize = 10;

    /// Where the repository keeps the file.
    #[cfg(feature = "fs")]
    pub fn path() -> PathBuf {
        crate::workspace_root().join("data/digits/digits.csv")
    }

    /// Loads the repository's copy (see [`Digits::path`]).
    #[cfg(feature = "fs")]
    pub fn load() -> Result<Self, DataError> {
        Self::load_from(&Self::path())
    }

    /// Loads a digits file: one image per line, 64 pixel values and a label
    /// separated by commas. Errors: the file cannot be read, a line has the
    /// wrong number of fields, a pixel that is not an integer from 0 to 16, a
    /// label that is not an integer from 0 to 9, or no lines at all.
    #[cfg(feature = "fs")]
    pub fn load_from(file: &Path) -> Result<Self, DataError> {
        Self::parse(&read(file)?, file)
    }

    /// Parses the text of a digits file; `file` names it in errors. A final
    /// newline is optional; an empty line is an error.
    pub fn parse(text: &str, file: &Path) -> Result<Self, DataError> {
        let mut digits = Digits {
            images: Vec::new(),
            labels: Vec::new(),
        };
        let what = "64 pixels and a label";
        for_each_row(text, file, Self::PIXELS + 1, what, |fields| {
            let mut image = [0.0; Self::PIXELS];
            for (k, (pixel, field)) in image.iter_mut().zip(fields).enumerate() {
                *pixel = match field.trim().parse::<u8>() {
                    Ok(v) if f64::from(v) <= Self::MAX_PIXEL => f64::from(v),
                    _ => {
                        return Err(format!(
                            "pixel {} is `{field}`, not an integer from 0 to 16",
                            k + 1
                        ));
                    }
                };
            }
            let label = class(fields[Self::PIXELS], "label", Self::CLASSES)?;
            digits.images.push(image);
            digits.labels.push(label);
            Ok(())
        })?;
        Ok(digits)
    }

    /// The number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// The diabetes data of Efron, Hastie, Johnstone and Tibshirani (2004),
/// distributed with scikit-learn (BSD 3-Clause): see
/// `data/diabetes/README.md` for provenance and licence.
///
/// Each patient has ten baseline variables (age, sex, body mass index,
/// blood pressure, six serum measurements), raw and unscaled, and a
/// response, the disease progression one year later.
#[derive(Clone, Debug, PartialEq)]
pub struct Diabetes {
    pub features: Vec<[f64; Diabetes::FEATURES]>,
    pub response: Vec<f64>,
}

impl Diabetes {
    /// Baseline variables per patient.
    pub const FEATURES: usize = 10;
    /// The variables' names, in the file's order.
    pub const NAMES: [&'static str; Diabetes::FEATURES] = [
        "age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6",
    ];

    /// Where the repository keeps the file.
    #[cfg(feature = "fs")]
    pub fn path() -> PathBuf {
        crate::workspace_root().join("data/diabetes/diabetes.csv")
    }

    /// Loads the repository's copy (see [`Diabetes::path`]).
    #[cfg(feature = "fs")]
    pub fn load() -> Result<Self, DataError> {
        Self::load_from(&Self::path())
    }

    /// Loads a diabetes file: one patient per line, ten variables and the
    /// response separated by commas. Errors: the file cannot be read, a line
    /// has the wrong number of fields, a field that is not a finite number,
    /// or no lines at all.
    #[cfg(feature = "fs")]
    pub fn load_from(file: &Path) -> Result<Self, DataError> {
        Self::parse(&read(file)?, file)
    }

    /// Parses the text of a diabetes file; `file` names it in errors.
    pub fn parse(text: &str, file: &Path) -> Result<Self, DataError> {
        let mut data = Diabetes {
            features: Vec::new(),
            response: Vec::new(),
        };
        let what = "ten variables and the response";
        for_each_row(text, file, Self::FEATURES + 1, what, |fields| {
            let mut values = [0.0; Self::FEATURES + 1];
            for (k, (value, field)) in values.iter_mut().zip(fields).enumerate() {
                let name = Self::NAMES.get(k).copied().unwrap_or("the response");
                *value = finite(field, name)?;
            }
            let mut features = [0.0; Self::FEATURES];
            features.copy_from_slice(&values[..Self::FEATURES]);
            data.features.push(features);
            data.response.push(values[Self::FEATURES]);
            Ok(())
        })?;
        Ok(data)
    }

    /// The number of patients.
    pub fn len(&self) -> usize {
        self.response.len()
    }

    /// Whether there are no patients.
    pub fn is_empty(&self) -> bool {
        self.response.is_empty()
    }
}

/// Fisher's iris data (Anderson 1935, Fisher 1936), distributed with
/// scikit-learn (BSD 3-Clause; the UCI copy is CC BY 4.0): see
/// `data/iris/README.md` for provenance and licence.
///
/// Each flower has four measurements in centimetres and a species, 0, 1 or
/// 2 (see [`Iris::CLASS_NAMES`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Iris {
    pub features: Vec<[f64; Iris::FEATURES]>,
    pub classes: Vec<u8>,
}

impl Iris {
    /// Measurements per flower.
    pub const FEATURES: usize = 4;
    /// The number of species.
    pub const CLASSES: usize = 3;
    /// The measurements' names, in the file's order.
    pub const NAMES: [&'static str; Iris::FEATURES] =
        ["sepal_length", "sepal_width", "petal_length", "petal_width"];
    /// The species, indexed by class.
    pub const CLASS_NAMES: [&'static str; Iris::CLASSES] = ["setosa", "versicolor", "virginica"];

    /// Where the repository keeps the file.
    #[cfg(feature = "fs")]
    pub fn path() -> PathBuf {
        crate::workspace_root().join("data/iris/iris.csv")
    }

    /// Loads the repository's copy (see [`Iris::path`]).
    #[cfg(feature = "fs")]
    pub fn load() -> Result<Self, DataError> {
        Self::load_from(&Self::path())
    }

    /// Loads an iris file: one flower per line, four measurements and the
    /// class separated by commas. Errors: the file cannot be read, a line has
    /// the wrong number of fields, a measurement that is not a finite number,
    /// a class that is not an integer from 0 to 2, or no lines at all.
    #[cfg(feature = "fs")]
    pub fn load_from(file: &Path) -> Result<Self, DataError> {
        Self::parse(&read(file)?, file)
    }

    /// Parses the text of an iris file; `file` names it in errors.
    pub fn parse(text: &str, file: &Path) -> Result<Self, DataError> {
        let mut iris = Iris {
            features: Vec::new(),
            classes: Vec::new(),
        };
        let what = "four measurements and the class";
        for_each_row(text, file, Self::FEATURES + 1, what, |fields| {
            let mut flower = [0.0; Self::FEATURES];
            for ((value, field), name) in flower.iter_mut().zip(fields).zip(Self::NAMES) {
                *value = finite(field, name)?;
            }
            let species = class(fields[Self::FEATURES], "the class", Self::CLASSES)?;
            iris.features.push(flower);
            iris.classes.push(species);
            Ok(())
        })?;
        Ok(iris)
    }

    /// The number of flowers.
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// Whether there are no flowers.
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pixel: &str, label: &str) -> String {
        let mut fields = vec!["0"; 64];
        fields[10] = pixel;
        fields.push(label);
        fields.join(",")
    }

    #[test]
    fn the_shipped_file_has_1797_images_of_64_pixels_and_ten_classes() {
        let d = Digits::load().unwrap();
        assert_eq!((d.len(), d.images.len()), (1797, 1797));
        let mut counts = [0usize; 10];
        d.labels.iter().for_each(|&l| counts[usize::from(l)] += 1);
        assert_eq!(counts, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
        let pixels = d.images.iter().flatten();
        assert!(
            pixels
                .clone()
                .all(|&p| (0.0..=16.0).contains(&p) && p.fract() == 0.0)
        );
        assert_eq!(pixels.fold(0.0f64, |m, &p| m.max(p)), 16.0);
        // The first image is a zero; its first row is 0 0 5 13 9 1 0 0.
        assert_eq!(d.labels[0], 0);
        assert_eq!(d.images[0][..8], [0.0, 0.0, 5.0, 13.0, 9.0, 1.0, 0.0, 0.0]);
    }

    #[test]
    fn well_formed_text_parses_with_or_without_a_final_newline() {
        let f = Path::new("t.csv");
        let text = format!("{}\n{}", row("16", "9"), row("3", "0"));
        let d = Digits::parse(&text, f).unwrap();
        assert_eq!(d.labels, vec![9, 0]);
        assert_eq!((d.images[0][10], d.images[1][10]), (16.0, 3.0));
        assert_eq!(Digits::parse(&format!("{text}\r\n"), f).unwrap(), d);
    }

    #[test]
    fn malformed_files_are_refused_with_file_and_line() {
        let f = Path::new("bad.csv");
        let good = row("1", "2");
        let cases = [
            (format!("{good}\n{}", row("17", "2")), 2, "pixel 11 is `17`"),
            (row("-1", "2"), 1, "pixel 11 is `-1`"),
            (row("1.5", "2"), 1, "pixel 11 is `1.5`"),
            (row("x", "2"), 1, "pixel 11 is `x`"),
            (
                format!("{good}\n{good}\n{}", row("1", "10")),
                3,
                "label is `10`",
            ),
            (row("1", ""), 1, "label is ``"),
            (format!("{good}\n1,2,3"), 2, "found 3"),
            (format!("{good},4"), 1, "found 66"),
            (format!("{good}\n\n{good}"), 2, "found 1"),
        ];
        for (text, line, reason) in cases {
            let e = Digits::parse(&text, f).unwrap_err();
            let message = e.to_string();
            assert!(
                message.starts_with(&format!("bad.csv:{line}: ")) && message.contains(reason),
                "{message}"
            );
        }
        for empty in ["", "\n"] {
            assert_eq!(
                Digits::parse(empty, f).unwrap_err().to_string(),
                "bad.csv: no examples"
            );
        }
        let missing = Digits::load_from(Path::new("/nonexistent/digits.csv")).unwrap_err();
        assert!(missing.to_string().starts_with("/nonexistent/digits.csv: "));
    }

    #[test]
    fn the_shipped_diabetes_file_has_442_patients_as_efron_et_al_describe() {
        let d = Diabetes::load().unwrap();
        assert_eq!((d.len(), d.features.len()), (442, 442));
        assert_eq!(
            d.features[0],
            [59.0, 2.0, 32.1, 101.0, 157.0, 93.2, 38.0, 4.0, 4.8598, 87.0]
        );
        assert_eq!(d.response[0], 151.0);
        // Sex is coded 1 or 2; the responses are integers from 25 to 346.
        assert!(d.features.iter().all(|f| f[1] == 1.0 || f[1] == 2.0));
        let (lo, hi) = d
            .response
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &r| (a.min(r), b.max(r)));
        assert_eq!((lo, hi), (25.0, 346.0));
        assert!(d.response.iter().all(|r| r.fract() == 0.0));
    }

    #[test]
    fn malformed_diabetes_files_are_refused_with_file_and_line() {
        let f = Path::new("d.csv");
        let good = "1,2,3,4,5,6,7,8,9,10,11";
        let ok = Diabetes::parse(&format!("{good}\r\n{good}"), f).unwrap();
        assert_eq!((ok.len(), ok.response[1]), (2, 11.0));
        let cases = [
            (format!("{good}\n1,2,3"), 2, "found 3"),
            (
                format!("{good}\n1,2,3,4,NaN,6,7,8,9,10,11"),
                2,
                "s1 is `NaN`",
            ),
            (
                "1,2,3,4,5,6,7,8,9,10,inf".to_string(),
                1,
                "the response is `inf`",
            ),
            ("x,2,3,4,5,6,7,8,9,10,11".to_string(), 1, "age is `x`"),
        ];
        for (text, line, reason) in cases {
            let message = Diabetes::parse(&text, f).unwrap_err().to_string();
            assert!(
                message.starts_with(&format!("d.csv:{line}: ")) && message.contains(reason),
                "{message}"
            );
        }
        assert_eq!(
            Diabetes::parse("", f).unwrap_err().to_string(),
            "d.csv: no examples"
        );
    }

    #[test]
    fn the_shipped_iris_file_has_150_flowers_50_of_each_species() {
        let d = Iris::load().unwrap();
        assert_eq!((d.len(), d.features.len()), (150, 150));
        let mut counts = [0usize; 3];
        d.classes.iter().for_each(|&c| counts[usize::from(c)] += 1);
        assert_eq!(counts, [50, 50, 50]);
        assert_eq!((d.features[0], d.classes[0]), ([5.1, 3.5, 1.4, 0.2], 0));
        // Flowers 35 and 38 have the values of Fisher's paper, not UCI's errors.
        assert_eq!(d.features[34], [4.9, 3.1, 1.5, 0.2]);
        assert_eq!(d.features[37], [4.9, 3.6, 1.4, 0.1]);
    }

    #[test]
    fn malformed_iris_files_are_refused_with_file_and_line() {
        let f = Path::new("i.csv");
        let good = "5.1,3.5,1.4,0.2,0";
        let ok = Iris::parse(&format!("{good}\r\n6.3,3.3,6.0,2.5,2\n"), f).unwrap();
        assert_eq!((ok.len(), ok.classes[1], ok.features[1][2]), (2, 2, 6.0));
        let cases = [
            (format!("{good}\n5.1,3.5,1.4,0"), 2, "found 4"),
            (format!("{good}\n{good},0"), 2, "found 6"),
            ("5.1,NaN,1.4,0.2,0".to_string(), 1, "sepal_width is `NaN`"),
            ("5.1,3.5,x,0.2,0".to_string(), 1, "petal_length is `x`"),
            (
                format!("{good}\n{good}\n5.1,3.5,1.4,0.2,3"),
                3,
                "the class is `3`",
            ),
            (
                "5.1,3.5,1.4,0.2,setosa".to_string(),
                1,
                "the class is `setosa`",
            ),
        ];
        for (text, line, reason) in cases {
            let message = Iris::parse(&text, f).unwrap_err().to_string();
            assert!(
                message.starts_with(&format!("i.csv:{line}: ")) && message.contains(reason),
                "{message}"
            );
        }
        assert_eq!(
            Iris::parse("", f).unwrap_err().to_string(),
            "i.csv: no examples"
        );
    }
}
