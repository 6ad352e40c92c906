//! The decoding chain on real photos: it must read at least 105 of the 110 and never
//! return a wrong text.

// Test code: a failed expectation should stop the test where it happened.
#![allow(clippy::expect_used)]

#[path = "support/photos.rs"]
mod photo_set;

use xiaoge_gate::decode::decode;

#[test]
fn the_pipeline_reads_at_least_105_of_the_110_real_photos_and_never_misreads() {
    let photos = photo_set::photos();
    assert_eq!(photos.len(), 110);
    let mut read = 0;
    for (path, expected, image) in &photos {
        if let Some(d) = decode(image) {
            assert_eq!(
                &d.text,
                expected,
                "{} misread by {}",
                path.display(),
                d.attempt
            );
            read += 1;
        }
    }
    assert!(read >= 105, "read {read} of 110");
}
