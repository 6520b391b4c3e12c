//! What a file is, from its content: `file_type` and content type from its magic bytes (`infer`),
//! and the duration of voice and video from the container (symphonia for audio, `mp4` for video).
//! Only the first and last megabyte are kept during an upload; a container whose index lies
//! elsewhere (rare) gets duration 0, as does anything that does not parse.

use std::io::{Read, Seek, SeekFrom};

use symphonia::core::formats::FormatOptions;
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use super::content::Sample;

#[derive(Debug, Clone, PartialEq)]
pub struct Kind {
    /// `image`, `voice`, `video` or `file`.
    pub file_type: &'static str,
    pub content_type: String,
}

/// Types never served as themselves: a browser would run them in the API's origin.
const ACTIVE_TYPES: [&str; 7] = [
    "text/html",
    "application/javascript",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
    "text/javascript",
];

/// Recognises a file by its first bytes; the name's extension only refines the content type of
/// what the magic bytes do not tell. Active types (HTML, SVG, XML, scripts) are served as bytes.
pub fn classify(head: &[u8], name: &str) -> Kind {
    let (file_type, content_type) = match infer::get(head) {
        Some(found) => {
            let file_type = match found.matcher_type() {
                infer::MatcherType::Image => "image",
                infer::MatcherType::Audio => "voice",
                infer::MatcherType::Video => "video",
                _ => "file",
            };
            (file_type, found.mime_type())
        }
        None => {
            let guessed = mime_guess::from_path(name).first_raw();
            // An image type from the name alone would make browsers guess; the bytes said no.
            (
                "file",
                guessed.filter(|t| !t.starts_with("image/")).unwrap_or(""),
            )
        }
    };
    let content_type = match content_type {
        "" => "application/octet-stream",
        t if ACTIVE_TYPES.contains(&t) => "application/octet-stream",
        t => t,
    };
    Kind {
        file_type,
        content_type: content_type.to_owned(),
    }
}

/// Seconds of a voice or video file, 0 when they cannot be read.
pub fn duration(kind: &Kind, sample: &Sample, name: &str) -> f64 {
    let seconds = match kind.file_type {
        "video" => video_duration(sample).or_else(|| audio_duration(sample, name)),
        "voice" => audio_duration(sample, name).or_else(|| video_duration(sample)),
        _ => None,
    };
    seconds
        .filter(|s| s.is_finite() && *s > 0.0)
        .map_or(0.0, |s| (s * 1000.0).round() / 1000.0)
}

fn video_duration(sample: &Sample) -> Option<f64> {
    let reader = mp4::Mp4Reader::read_header(Sparse::new(sample), sample.len).ok()?;
    Some(reader.duration().as_secs_f64())
}

fn audio_duration(sample: &Sample, name: &str) -> Option<f64> {
    let source = MediaSourceStream::new(Box::new(Sparse::new(sample)), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = name.rsplit_once('.').map(|(_, e)| e) {
        hint.with_extension(&ext.to_ascii_lowercase());
    }
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            source,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .ok()?;
    let track = probed.format.default_track()?;
    let params = &track.codec_params;
    let time = params.time_base?.calc_time(params.n_frames?);
    Some(time.seconds as f64 + time.frac)
}

/// A file of which only the start and the end are at hand: reads elsewhere fail.
struct Sparse {
    head: bytes::Bytes,
    tail: bytes::Bytes,
    tail_start: u64,
    len: u64,
    pos: u64,
}

impl Sparse {
    fn new(sample: &Sample) -> Sparse {
        Sparse {
            head: sample.head.clone(),
            tail: sample.tail.clone(),
            tail_start: sample.len - sample.tail.len() as u64,
            len: sample.len,
            pos: 0,
        }
    }
}

impl Read for Sparse {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let pos = self.pos;
        let (part, offset) = if pos < self.head.len() as u64 {
            (&self.head, pos as usize)
        } else if pos >= self.tail_start && pos < self.len {
            (&self.tail, (pos - self.tail_start) as usize)
        } else if pos >= self.len {
            return Ok(0);
        } else {
            return Err(std::io::Error::other("outside the kept sample"));
        };
        let n = buf.len().min(part.len() - offset);
        buf[..n].copy_from_slice(&part[offset..offset + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Sparse {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target.ok_or_else(|| std::io::Error::other("seek before the start"))?;
        Ok(self.pos)
    }
}

impl MediaSource for Sparse {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        Some(self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(seconds: u32, rate: u32) -> Vec<u8> {
        let data_len = seconds * rate * 2;
        let mut out = Vec::new();
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + data_len).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes()); // PCM
        out.extend_from_slice(&1u16.to_le_bytes()); // mono
        out.extend_from_slice(&rate.to_le_bytes());
        out.extend_from_slice(&(rate * 2).to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&data_len.to_le_bytes());
        out.resize(out.len() + data_len as usize, 0);
        out
    }

    fn sample_of(bytes: &[u8]) -> Sample {
        let head = bytes[..bytes.len().min(super::super::content::SAMPLE)].to_vec();
        let tail_len = bytes.len().min(super::super::content::SAMPLE);
        Sample {
            head: head.into(),
            tail: bytes[bytes.len() - tail_len..].to_vec().into(),
            len: bytes.len() as u64,
        }
    }

    #[test]
    fn wav_is_voice_with_its_duration_even_when_longer_than_the_sample() {
        let bytes = wav(40, 16_000); // 1.28 MB: the middle is not in the sample
        let kind = classify(&bytes[..8192], "a.wav");
        assert_eq!(kind.file_type, "voice");
        assert_eq!(duration(&kind, &sample_of(&bytes), "a.wav"), 40.0);
    }

    #[test]
    fn unknown_bytes_are_files_and_active_types_are_not_served_as_such() {
        let kind = classify(b"<html><script>alert(1)</script>", "x.html");
        assert_eq!(kind.file_type, "file");
        assert_eq!(kind.content_type, "application/octet-stream");
        assert_eq!(classify(b"hello", "notes.txt").content_type, "text/plain");
        let garbage = Sample {
            head: vec![1u8; 100].into(),
            tail: vec![1u8; 100].into(),
            len: 100,
        };
        let video = Kind {
            file_type: "video",
            content_type: "video/mp4".into(),
        };
        assert_eq!(duration(&video, &garbage, "v.mp4"), 0.0);
    }
}
