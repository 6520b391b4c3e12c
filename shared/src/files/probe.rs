//! What a file is, from its content: `file_type` and content type from its magic bytes (`infer`),
//! and the duration of voice and video from the container (symphonia for MP3, AAC, WAV and Ogg,
//! Mozilla's `mp4parse`, fuzzed for Firefox, for MP4 and M4A: symphonia's MP4 reader overflows
//! on 64-bit box sizes). Only the first and last megabyte are kept during an
//! upload; a container whose index lies elsewhere (rare) gets duration 0, as does anything that
//! does not parse. Both parsers read through [`Sparse`], which fails once a job's time or read
//! budget is spent, so a parser going round in circles stops soon.

use std::io::{Cursor, Read, Seek, SeekFrom};

use symphonia::core::formats::FormatOptions;
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use super::content::{Sample, SAMPLE};
use crate::untrusted::{Budget, PROBE_READ_BYTES};

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

/// Seconds of a voice or video file, 0 when they cannot be read within `budget`. Run it as an
/// untrusted job (see [`crate::untrusted`]).
pub fn duration(kind: &Kind, sample: &Sample, name: &str, budget: Budget) -> f64 {
    let seconds = match kind.file_type {
        "video" => video_duration(sample, budget).or_else(|| audio_duration(sample, name, budget)),
        "voice" => audio_duration(sample, name, budget).or_else(|| video_duration(sample, budget)),
        _ => None,
    };
    seconds
        .filter(|s| s.is_finite() && *s > 0.0)
        .map_or(0.0, |s| (s * 1000.0).round() / 1000.0)
}

/// Top-level boxes looked at before giving up on finding `moov`.
const MAX_TOP_BOXES: usize = 1000;

fn video_duration(sample: &Sample, budget: Budget) -> Option<f64> {
    // mp4parse reads sequentially and cannot skip an `mdat` outside the sample: it gets `moov`
    // alone.
    let moov = find_moov(&mut Sparse::new(sample, budget))?;
    let movie = mp4parse::read_mp4(&mut Cursor::new(moov)).ok()?;
    movie_seconds(&movie)
}

/// The bytes of the top-level `moov` box, found by walking the box headers (sizes checked, a
/// bounded number of boxes).
fn find_moov(file: &mut Sparse) -> Option<Vec<u8>> {
    let mut at = 0u64;
    for _ in 0..MAX_TOP_BOXES {
        let left = file.len.checked_sub(at).filter(|&left| left >= 8)?;
        file.seek(SeekFrom::Start(at)).ok()?;
        let mut header = [0u8; 8];
        file.read_exact(&mut header).ok()?;
        let (size, header_len) = match u32::from_be_bytes(header[..4].try_into().ok()?) {
            0 => (left, 8), // up to the end of the file
            1 => {
                let mut large = [0u8; 8];
                file.read_exact(&mut large).ok()?;
                (u64::from_be_bytes(large), 16)
            }
            size => (u64::from(size), 8),
        };
        if size < header_len || size > left {
            return None;
        }
        if &header[4..] == b"moov" {
            // The sample holds at most two megabytes, and a box read must lie within it.
            let len = usize::try_from(size).ok().filter(|&n| n <= 2 * SAMPLE)?;
            let mut moov = vec![0; len];
            file.seek(SeekFrom::Start(at)).ok()?;
            file.read_exact(&mut moov).ok()?;
            return Some(moov);
        }
        at += size;
    }
    None
}

/// The longest track's presentation time (its header's duration in the movie's time scale),
/// else its media time, or the fragments' total for a fragmented movie.
fn movie_seconds(movie: &mp4parse::MediaContext) -> Option<f64> {
    let known = |d: u64| d != 0 && d != u64::from(u32::MAX) && d != u64::MAX;
    let movie_scale = movie.timescale.map(|t| t.0).filter(|&t| t > 0);
    let fragments = movie
        .mvex
        .as_ref()
        .and_then(|m| m.fragment_duration)
        .map(|d| d.0)
        .filter(|&d| known(d));
    let tracks = movie.tracks.iter().filter_map(|track| {
        let presented = track
            .tkhd
            .as_ref()
            .map(|h| h.duration)
            .filter(|&d| known(d))
            .zip(movie_scale)
            .map(|(d, scale)| d as f64 / scale as f64);
        let media = track
            .duration
            .as_ref()
            .map(|d| d.0)
            .filter(|&d| known(d))
            .zip(track.timescale.as_ref().map(|t| t.0).filter(|&t| t > 0))
            .map(|(d, scale)| d as f64 / scale as f64);
        presented.or(media)
    });
    let whole = fragments
        .zip(movie_scale)
        .map(|(d, scale)| d as f64 / scale as f64);
    whole.into_iter().chain(tracks).reduce(f64::max)
}

fn audio_duration(sample: &Sample, name: &str, budget: Budget) -> Option<f64> {
    let source = MediaSourceStream::new(Box::new(Sparse::new(sample, budget)), Default::default());
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

/// A file of which only the start and the end are at hand: reads elsewhere fail, as do reads and
/// seeks once the budget's time or [`PROBE_READ_BYTES`] are spent.
struct Sparse {
    head: bytes::Bytes,
    tail: bytes::Bytes,
    tail_start: u64,
    len: u64,
    pos: u64,
    budget: Budget,
    read: u64,
}

impl Sparse {
    fn new(sample: &Sample, budget: Budget) -> Sparse {
        Sparse {
            head: sample.head.clone(),
            tail: sample.tail.clone(),
            tail_start: sample.len - sample.tail.len() as u64,
            len: sample.len,
            pos: 0,
            budget,
            read: 0,
        }
    }

    fn check_budget(&self) -> std::io::Result<()> {
        if self.budget.expired() || self.read > PROBE_READ_BYTES {
            return Err(std::io::Error::other("over the probe's budget"));
        }
        Ok(())
    }
}

impl Read for Sparse {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.check_budget()?;
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
        self.read += n as u64;
        Ok(n)
    }
}

impl Seek for Sparse {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.check_budget()?;
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
        assert_eq!(duration(&kind, &sample_of(&bytes), "a.wav", budget()), 40.0);
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
        assert_eq!(duration(&video, &garbage, "v.mp4", budget()), 0.0);
    }

    fn budget() -> Budget {
        Budget::of(crate::untrusted::PROBE_TIME)
    }

    fn video_seconds(bytes: &[u8]) -> f64 {
        let kind = classify(bytes, "v.mp4");
        assert_eq!(kind.file_type, "video");
        duration(&kind, &sample_of(bytes), "v.mp4", budget())
    }

    const CLIP: &[u8] = include_bytes!("../../../tests/fixtures/clip-2s.mp4");
    const CLIP_MOOV_LAST: &[u8] = include_bytes!("../../../tests/fixtures/clip-2s-moov-at-end.mp4");

    #[test]
    fn mp4_durations_are_read_wherever_moov_is() {
        assert_eq!(video_seconds(CLIP), 2.0);
        assert_eq!(video_seconds(CLIP_MOOV_LAST), 2.0);
        // `moov` behind 3 MB of `free`: its header is in the last megabyte.
        let ftyp_len = u32::from_be_bytes(CLIP_MOOV_LAST[..4].try_into().unwrap()) as usize;
        let mut far = CLIP_MOOV_LAST[..ftyp_len].to_vec();
        far.extend_from_slice(&3_000_008u32.to_be_bytes());
        far.extend_from_slice(b"free");
        far.resize(far.len() + 3_000_000, 0);
        far.extend_from_slice(&CLIP_MOOV_LAST[ftyp_len..]);
        assert_eq!(video_seconds(&far), 2.0);
        // Voice in an MP4 container (`.m4a`) is read by mp4parse too.
        let m4a = Kind {
            file_type: "voice",
            content_type: "audio/m4a".into(),
        };
        assert_eq!(duration(&m4a, &sample_of(CLIP), "a.m4a", budget()), 2.0);
    }

    #[test]
    fn crafted_mp4s_have_no_duration_and_end() {
        // mp4 0.14 aborted the process on the first and looped forever on the second.
        for bytes in [
            &include_bytes!("../../../tests/fixtures/hostile/mp4-meta-child-size-4.mp4")[..],
            &include_bytes!("../../../tests/fixtures/hostile/mp4-moov-child-size-0.mp4")[..],
            &CLIP[..200],
        ] {
            assert_eq!(video_seconds(bytes), 0.0);
        }
        // Box sizes that overflow, undercut their header or pass the end of the file.
        let ftyp = &CLIP[..u32::from_be_bytes(CLIP[..4].try_into().unwrap()) as usize];
        for header in [
            &b"\0\0\0\x01moov\xff\xff\xff\xff\xff\xff\xff\xff"[..],
            b"\0\0\0\x01moov\0\0\0\0\0\0\0\x04",
            b"\0\0\0\x04moov",
            b"\x7f\xff\xff\xffmoov",
        ] {
            let mut bytes = ftyp.to_vec();
            bytes.extend_from_slice(header);
            bytes.extend_from_slice(&[0; 64]);
            assert_eq!(video_seconds(&bytes), 0.0, "{header:?}");
        }
    }

    #[test]
    fn the_sample_reader_stops_when_the_budget_is_spent() {
        let sample = sample_of(&[7u8; 4096]);
        let mut buf = [0u8; 4096];
        let mut spent = Sparse::new(&sample, Budget::of(std::time::Duration::ZERO));
        assert!(spent.read(&mut buf).is_err());
        assert!(spent.seek(SeekFrom::Start(0)).is_err());
        // A parser reading the same bytes over and over is stopped after PROBE_READ_BYTES.
        let mut reader = Sparse::new(&sample, budget());
        let mut reads = 0u64;
        while reader.seek(SeekFrom::Start(0)).is_ok() && reader.read(&mut buf).is_ok() {
            reads += 1;
        }
        assert_eq!(reads, PROBE_READ_BYTES / 4096 + 1);
    }
}
