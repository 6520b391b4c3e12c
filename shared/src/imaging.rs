//! Pictures uploaded by users: verified by decoding, turned upright (EXIF orientation), shrunk and
//! re-encoded, which also drops every metadata block (EXIF and GPS included).

use std::io::Cursor;

use image::imageops::FilterType;
use image::{
    DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, Rgb, RgbImage,
};
use sha2::{Digest, Sha256};

use crate::error::{Code, Error, Result};

/// Largest picture accepted for upload.
pub const MAX_UPLOAD: usize = 5 * 1024 * 1024;
/// Longest side of a stored avatar or picture.
pub const MAX_SIDE: u32 = 512;
/// A stored picture is at most this large (a JPEG or PNG of [`MAX_SIDE`] pixels a side: PNG's
/// worst, incompressible RGBA, is about 1.05 MB); `normalize` refuses anything larger.
pub const MAX_STORED: usize = 2 << 20;
/// Longest side of a picture we agree to decode.
const MAX_DECODE_SIDE: u32 = 12_000;
/// Most pixels of a picture we agree to decode, read from its header before decoding: a few
/// hundred kilobytes of PNG can declare 121 megapixels (363 MB decoded).
pub const MAX_PIXELS: u64 = 40_000_000;
/// Memory one decoded picture may take. Natively, a 40-megapixel picture at 8 bits per channel
/// with alpha (160 MB; at most one decode per core runs at once). A wasm32 component gets 80 MiB
/// (a 26-megapixel photo): an Akamai Functions instance has 128 MiB in all.
pub const MAX_DECODE_BYTES: u64 = if cfg!(target_arch = "wasm32") {
    80 << 20
} else {
    4 * MAX_PIXELS
};

/// An image ready to serve.
#[derive(Debug, Clone)]
pub struct Picture {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    /// A strong validator of the bytes, quoted as HTTP wants it.
    pub etag: String,
}

impl Picture {
    pub fn new(bytes: Vec<u8>, content_type: &'static str) -> Picture {
        let etag = etag_of(&bytes);
        Picture {
            bytes,
            content_type,
            etag,
        }
    }
}

/// The content type of a stored picture, as one of the two we produce.
pub fn served_type(stored: &str) -> &'static str {
    if stored == "image/png" {
        "image/png"
    } else {
        "image/jpeg"
    }
}

/// The quoted strong ETag of some bytes.
pub fn etag_of(bytes: &[u8]) -> String {
    format!("\"{}\"", hex::encode(&Sha256::digest(bytes)[..12]))
}

/// Decodes a JPEG, PNG, WebP or GIF (first frame), applies its EXIF orientation, fits it into
/// `max_side` and re-encodes it: JPEG when opaque, PNG when it has transparency. Anything else,
/// or a file that does not decode, is 333.
pub fn normalize(input: &[u8], max_side: u32) -> Result<Picture> {
    if input.len() > MAX_UPLOAD {
        return Err(Error::with_message(Code::BadPicture, "图片超过 5MB"));
    }
    encode(&decode_fitted(input, max_side)?)
}

/// Longest side of a file's thumbnail.
pub const THUMBNAIL_SIDE: u32 = 256;

/// A JPEG of at most [`THUMBNAIL_SIDE`] pixels, upright, transparency laid on white; 333 when
/// `input` is not a picture we decode.
pub fn thumbnail(input: &[u8]) -> Result<Vec<u8>> {
    let img = decode_fitted(input, THUMBNAIL_SIDE)?;
    let mut rgb = RgbImage::from_pixel(img.width(), img.height(), Rgb([255, 255, 255]));
    for (x, y, p) in img.to_rgba8().enumerate_pixels() {
        let a = u16::from(p.0[3]);
        let blend = |c: u8| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8;
        rgb.put_pixel(x, y, Rgb([blend(p.0[0]), blend(p.0[1]), blend(p.0[2])]));
    }
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&rgb)
        .map_err(anyhow::Error::from)?;
    Ok(out.into_inner())
}

/// Decodes a JPEG, PNG, WebP or GIF (first frame) within the decoding limits, fits it into
/// `max_side` and turns it upright (after shrinking: a rotation copies the whole picture).
fn decode_fitted(input: &[u8], max_side: u32) -> Result<DynamicImage> {
    let bad = |why: &str| Error::with_message(Code::BadPicture, format!("图片无法解码: {why}"));
    let mut reader = ImageReader::new(Cursor::new(input))
        .with_guessed_format()
        .map_err(|_| bad("无法识别格式"))?;
    match reader.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif) => {}
        _ => return Err(bad("仅支持 JPEG、PNG、WebP、GIF")),
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODE_SIDE);
    limits.max_image_height = Some(MAX_DECODE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|err| match err {
        ImageError::Limits(_) => bad(&format!("边长超过 {MAX_DECODE_SIDE} 像素")),
        _ => bad("文件已损坏"),
    })?;
    // Only the header has been read so far: refuse what would be too large to decode.
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(bad(&format!(
            "{width}×{height} 像素，超过 {} 万像素",
            MAX_PIXELS / 10_000
        )));
    }
    if decoder.total_bytes() > MAX_DECODE_BYTES {
        return Err(bad(&format!(
            "解码需要 {} MB，超过 {} MB",
            decoder.total_bytes() / 1_000_000,
            MAX_DECODE_BYTES / 1_000_000
        )));
    }
    let orientation = decoder.orientation().ok();
    let img = DynamicImage::from_decoder(decoder).map_err(|_| bad("文件已损坏"))?;
    let mut img = fit(img, max_side);
    if let Some(orientation) = orientation {
        img.apply_orientation(orientation);
    }
    Ok(img)
}

fn fit(img: DynamicImage, max_side: u32) -> DynamicImage {
    if img.width() <= max_side && img.height() <= max_side {
        return img;
    }
    // A large picture is first averaged down to twice the size: the filter's buffers hold 16
    // bytes per pixel of the source's width by the target's height (64 MB for 8000 px wide).
    let img = if img.width() > 4 * max_side || img.height() > 4 * max_side {
        img.thumbnail(2 * max_side, 2 * max_side)
    } else {
        img
    };
    img.resize(max_side, max_side, FilterType::Triangle)
}

fn encode(img: &DynamicImage) -> Result<Picture> {
    let picture = encode_any(img)?;
    if picture.bytes.len() > MAX_STORED {
        return Err(Error::with_message(Code::BadPicture, "图片过大"));
    }
    Ok(picture)
}

fn encode_any(img: &DynamicImage) -> Result<Picture> {
    let mut out = Cursor::new(Vec::new());
    let opaque = !img.color().has_alpha() || img.to_rgba8().pixels().all(|p| p.0[3] == 255);
    if opaque {
        let rgb = img.to_rgb8();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
            .encode_image(&rgb)
            .map_err(anyhow::Error::from)?;
        Ok(Picture::new(out.into_inner(), "image/jpeg"))
    } else {
        img.to_rgba8()
            .write_to(&mut out, ImageFormat::Png)
            .map_err(anyhow::Error::from)?;
        Ok(Picture::new(out.into_inner(), "image/png"))
    }
}

/// A default avatar for someone without one: a symmetric 5×5 identicon in a colour taken from
/// `seed`, the same every time for the same seed.
pub fn identicon(seed: &str) -> Result<Picture> {
    const CELLS: u32 = 5;
    const CELL: u32 = 48;
    const MARGIN: u32 = 24;
    let hash = Sha256::digest(seed.as_bytes());
    let colour = Rgb([64 + hash[0] / 2, 64 + hash[1] / 2, 64 + hash[2] / 2]);
    let background = Rgb([240, 240, 240]);
    let side = CELLS * CELL + 2 * MARGIN;
    let mut img = RgbImage::from_pixel(side, side, background);
    for row in 0..CELLS {
        for col in 0..3 {
            let bit = row * 3 + col;
            if hash[3 + (bit / 8) as usize] >> (bit % 8) & 1 == 0 {
                continue;
            }
            for mirror in [col, CELLS - 1 - col] {
                for y in 0..CELL {
                    for x in 0..CELL {
                        img.put_pixel(MARGIN + mirror * CELL + x, MARGIN + row * CELL + y, colour);
                    }
                }
            }
        }
    }
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .map_err(anyhow::Error::from)?;
    Ok(Picture::new(out.into_inner(), "image/png"))
}

/// True when an `If-None-Match` header value names `etag` (or is `*`).
pub fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == etag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Rgba};

    fn png(w: u32, h: u32, alpha: u8) -> Vec<u8> {
        let img = ImageBuffer::from_pixel(w, h, Rgba([200u8, 10, 10, alpha]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn large_opaque_images_become_small_jpegs() {
        let pic = normalize(&png(2000, 1000, 255), MAX_SIDE).unwrap();
        assert_eq!(pic.content_type, "image/jpeg");
        let back = image::load_from_memory(&pic.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (512, 256));
    }

    #[test]
    fn transparent_images_stay_png() {
        let pic = normalize(&png(10, 10, 100), MAX_SIDE).unwrap();
        assert_eq!(pic.content_type, "image/png");
    }

    #[test]
    fn garbage_and_other_formats_are_333() {
        assert_eq!(
            normalize(b"not an image", 512).unwrap_err().code(),
            Code::BadPicture
        );
        // A BMP header is recognised but not accepted.
        assert_eq!(
            normalize(b"BM\x3a\0\0\0\0\0\0\0", 512).unwrap_err().code(),
            Code::BadPicture
        );
        let mut truncated = png(100, 100, 255);
        truncated.truncate(60);
        assert_eq!(
            normalize(&truncated, 512).unwrap_err().code(),
            Code::BadPicture
        );
    }

    fn refusal(input: &[u8]) -> String {
        let err = normalize(input, MAX_SIDE).unwrap_err();
        assert_eq!(err.code(), Code::BadPicture);
        err.to_string()
    }

    #[test]
    fn sizes_are_checked_from_the_header_before_decoding() {
        // Each file is a PNG header and a few bytes of rows: only what the header says counts.
        let hostile = |name: &str| {
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/hostile/");
            std::fs::read(format!("{dir}{name}")).unwrap()
        };
        let too_many = refusal(&hostile("png-11000x11000-header.png"));
        assert!(
            too_many.contains("11000×11000 像素，超过 4000 万像素"),
            "{too_many}"
        );
        let too_wide = refusal(&hostile("png-20000x100-header.png"));
        assert!(too_wide.contains("边长超过 12000 像素"), "{too_wide}");
        // 30 megapixels, but 16 bits per channel: 240 MB decoded.
        let too_deep = refusal(&hostile("png-6000x5000-rgba16-header.png"));
        assert!(
            too_deep.contains("解码需要 240 MB，超过 160 MB"),
            "{too_deep}"
        );
        // Exactly 40 megapixels of RGBA passes the checks and fails on its missing rows.
        let truncated = refusal(&hostile("png-8000x5000-rgba-truncated.png"));
        assert!(truncated.contains("文件已损坏"), "{truncated}");
    }

    #[test]
    fn large_pictures_shrink_to_fit_with_their_aspect_ratio() {
        for (w, h, want) in [
            (4000, 1000, (512, 128)),
            (1000, 3000, (171, 512)),
            (2100, 2100, (512, 512)),
        ] {
            let pic = normalize(&png(w, h, 255), MAX_SIDE).unwrap();
            let back = image::load_from_memory(&pic.bytes).unwrap();
            assert_eq!((back.width(), back.height()), want, "{w}×{h}");
        }
    }

    #[test]
    fn identicons_are_stable_per_seed() {
        let a = identicon("user-a").unwrap();
        assert_eq!(a.etag, identicon("user-a").unwrap().etag);
        assert_ne!(a.etag, identicon("user-b").unwrap().etag);
        assert!(image::load_from_memory(&a.bytes).is_ok());
    }

    #[test]
    fn etags_match_lists_and_weak_forms() {
        assert!(etag_matches("\"a\", \"b\"", "\"b\""));
        assert!(etag_matches("W/\"b\"", "\"b\""));
        assert!(etag_matches("*", "\"b\""));
        assert!(!etag_matches("\"c\"", "\"b\""));
    }
}
