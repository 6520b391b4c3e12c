//! Durations and kinds of voice and video, and thumbnails.

use crate::support::*;

fn assert_duration(entry: &Value, seconds: f64) {
    let got = entry["duration"].as_f64().expect("duration");
    assert!(
        (got - seconds).abs() <= 0.1,
        "duration {got}, want {seconds}: {entry}"
    );
}

#[tokio::test]
async fn wav_files_are_voice_with_their_duration() {
    let server = Server::start().await;
    let t = team(&server, "wav").await;
    let g = t.group;
    server
        .upload_file_into(&t.member, g, None, "memo.wav", wav(5, 8000))
        .await;
    // Longer than the megabyte kept of each end: the length comes from the header.
    server
        .upload_file_into(&t.member, g, None, "lecture.wav", wav(45, 16_000))
        .await;
    let memo = entry_named(&server, &t.member, g, None, "memo.wav").await;
    assert_eq!(memo["file_type"], "voice");
    assert_eq!(memo["type"], ".wav");
    assert_eq!(memo["duration"].as_f64(), Some(5.0));
    let lecture = entry_named(&server, &t.member, g, None, "lecture.wav").await;
    assert_eq!(lecture["file_type"], "voice");
    assert_eq!(lecture["duration"].as_f64(), Some(45.0));
}

#[tokio::test]
async fn mp3_files_are_voice_with_their_duration() {
    let server = Server::start().await;
    let t = team(&server, "mp3").await;
    let g = t.group;
    server
        .upload_file_into(&t.member, g, None, "tone.mp3", MP3_3S.to_vec())
        .await;
    let tone = entry_named(&server, &t.member, g, None, "tone.mp3").await;
    assert_eq!(tone["file_type"], "voice");
    assert_duration(&tone, 3.0);
    let res = download(
        &server,
        &t.member.token,
        g,
        tone["id"].as_i64().unwrap(),
        &[],
    )
    .await;
    assert_eq!(header(&res, "content-type"), "audio/mpeg");
}

#[tokio::test]
async fn mp4_files_are_video_with_their_duration_wherever_the_index_is() {
    let server = Server::start().await;
    let t = team(&server, "mp4").await;
    let g = t.group;
    server
        .upload_file_into(&t.member, g, None, "faststart.mp4", MP4_2S.to_vec())
        .await;
    server
        .upload_file_into(
            &t.member,
            g,
            None,
            "moov-last.mp4",
            MP4_2S_MOOV_AT_END.to_vec(),
        )
        .await;
    // The index after 3 MB of other boxes: found in the file's last megabyte.
    let far = padded_after_ftyp(MP4_2S_MOOV_AT_END, 3_000_000);
    server
        .upload_file_into(&t.member, g, None, "moov-far.mp4", far)
        .await;
    for name in ["faststart.mp4", "moov-last.mp4", "moov-far.mp4"] {
        let clip = entry_named(&server, &t.member, g, None, name).await;
        assert_eq!(clip["file_type"], "video", "{clip}");
        assert_eq!(clip["type"], ".mp4", "{clip}");
        assert_duration(&clip, 2.0);
    }
}

#[tokio::test]
async fn garbage_named_mp4_is_a_plain_file_without_duration() {
    let server = Server::start().await;
    let t = team(&server, "garbage").await;
    let g = t.group;
    server
        .upload_file_into(&t.member, g, None, "fake.mp4", gen_bytes(99, 50_000))
        .await;
    let fake = entry_named(&server, &t.member, g, None, "fake.mp4").await;
    assert_eq!(fake["file_type"], "file");
    assert_eq!(fake["type"], ".mp4");
    assert_eq!(fake["duration"].as_f64(), Some(0.0));
    assert_eq!(fake["size"], 50_000);
    // A broken MP4 (right magic, truncated) is video with duration 0.
    server
        .upload_file_into(&t.member, g, None, "broken.mp4", MP4_2S[..200].to_vec())
        .await;
    let broken = entry_named(&server, &t.member, g, None, "broken.mp4").await;
    assert_eq!(broken["file_type"], "video");
    assert_eq!(broken["duration"].as_f64(), Some(0.0));
}

// ---------------------------------------------------------------------------------------------
// Thumbnails
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn image_thumbnails_fit_256_pixels_and_keep_the_aspect_ratio() {
    let server = Server::start().await;
    let t = team(&server, "thumb").await;
    let g = t.group;
    let wide = server
        .upload_file_into(&t.member, g, None, "wide.png", png(1000, 500, 255))
        .await;
    let tall = server
        .upload_file_into(&t.member, g, None, "tall.png", png(300, 900, 255))
        .await;
    let small = server
        .upload_file_into(&t.member, g, None, "small.png", png(100, 50, 255))
        .await;
    let jpeg = encode(
        image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            512,
            512,
            image::Rgb([10, 200, 30]),
        )),
        image::ImageFormat::Jpeg,
    );
    let square = server
        .upload_file_into(&t.member, g, None, "square.jpg", jpeg)
        .await;
    for (file, size) in [
        (wide, (256, 128)),
        (tall, (85, 256)),
        (small, (100, 50)),
        (square, (256, 256)),
    ] {
        let (_, img) = thumbnail_jpeg(&server, &t.member2, g, file).await;
        let (w, h) = (img.width(), img.height());
        assert!(w.max(h) <= 256);
        assert!(
            (w as i64 - size.0 as i64).abs() <= 1 && (h as i64 - size.1 as i64).abs() <= 1,
            "{w}x{h}, want {size:?}"
        );
    }
    // The picture is the image's: the square is green.
    let (_, img) = thumbnail_jpeg(&server, &t.member2, g, square).await;
    let p = img.to_rgb8().get_pixel(128, 128).0;
    assert!(p[1] > 150 && p[0] < 60 && p[2] < 80, "{p:?}");
}

#[tokio::test]
async fn transparent_png_thumbnails_lie_on_white() {
    let server = Server::start().await;
    let t = team(&server, "alpha").await;
    let g = t.group;
    let file = server
        .upload_file_into(&t.member, g, None, "clear.png", png(1000, 500, 0))
        .await;
    let (_, img) = thumbnail_jpeg(&server, &t.member, g, file).await;
    assert_eq!((img.width(), img.height()), (256, 128));
    let rgb = img.to_rgb8();
    assert!(
        rgb.pixels().all(|p| p.0.iter().all(|c| *c >= 245)),
        "a transparent picture must come out white"
    );
}

#[tokio::test]
async fn jpeg_thumbnails_follow_the_exif_orientation() {
    let server = Server::start().await;
    let t = team(&server, "exif").await;
    let g = t.group;
    let big = server
        .upload_file_into(
            &t.member,
            g,
            None,
            "rotated.jpg",
            jpeg_with_orientation_6(600, 300),
        )
        .await;
    let small = server
        .upload_file_into(
            &t.member,
            g,
            None,
            "rot-small.jpg",
            jpeg_with_orientation_6(100, 50),
        )
        .await;
    assert_eq!(
        entry_named(&server, &t.member, g, None, "rotated.jpg").await["file_type"],
        "image"
    );
    let (_, img) = thumbnail_jpeg(&server, &t.member, g, big).await;
    assert_eq!((img.width(), img.height()), (128, 256));
    let (_, img) = thumbnail_jpeg(&server, &t.member, g, small).await;
    assert_eq!((img.width(), img.height()), (50, 100));
}

#[tokio::test]
async fn image_thumbnails_are_made_once_and_kept() {
    let server = Server::start().await;
    let t = team(&server, "keepthumb").await;
    let g = t.group;
    let file = server
        .upload_file_into(&t.member, g, None, "p.png", png(800, 600, 200))
        .await;
    let key = format!("file/{}.thumb", blob_of(&server, file));
    assert!(
        !file_keys(&server).contains(&key),
        "made before it was asked for"
    );
    let (first, img) = thumbnail_jpeg(&server, &t.member, g, file).await;
    assert_eq!((img.width(), img.height()), (256, 192));
    assert!(file_keys(&server).contains(&key));
    assert_eq!(server.stored_file(&key).expect("stored thumbnail"), first);
    let (second, _) = thumbnail_jpeg(&server, &t.member2, g, file).await;
    assert_eq!(second, first);
    // The file itself is unchanged.
    assert_eq!(
        download_bytes(&server, &t.member, g, file).await,
        png(800, 600, 200)
    );
}

#[tokio::test]
async fn files_without_a_picture_have_no_thumbnail() {
    let server = Server::start().await;
    let t = team(&server, "nothumb").await;
    let g = t.group;
    let text = server
        .upload_file_into(&t.member, g, None, "a.txt", text_bytes(100))
        .await;
    let voice = server
        .upload_file_into(&t.member, g, None, "v.wav", wav(1, 8000))
        .await;
    // PNG magic, but no picture behind it.
    let mut broken = png(50, 50, 255)[..40].to_vec();
    broken.extend_from_slice(&[0u8; 100]);
    let bad = server
        .upload_file_into(&t.member, g, None, "bad.png", broken)
        .await;
    assert_eq!(
        entry_named(&server, &t.member, g, None, "bad.png").await["file_type"],
        "image"
    );
    for file in [text, voice, bad, bad] {
        get_fails(thumbnail(&server, &t.member, g, file).await, 341, 404).await;
    }
    assert!(!file_keys(&server).iter().any(|k| k.ends_with(".thumb")));
    // Without thumbnail=1 (or with it empty) the file itself comes.
    let res = server
        .get(
            files::DOWNLOAD,
            &[
                ("token", t.member.token.as_str()),
                ("group_id", &g.to_string()),
                ("file_id", &text.to_string()),
                ("thumbnail", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().to_vec(), text_bytes(100));
}

#[tokio::test]
async fn videos_have_the_thumbnail_uploaded_with_them() {
    let server = Server::start().await;
    let t = team(&server, "vthumb").await;
    let g = t.group;
    // The thumbnail part after the file part...
    let form = Form::new()
        .text("group_id", g.to_string())
        .part("file", Part::bytes(MP4_2S.to_vec()).file_name("clip.mp4"))
        .part(
            "thumbnail",
            Part::bytes(png(400, 300, 255)).file_name("cover.png"),
        );
    let (status, res) = send_form(&server, t.member.t(), form).await;
    assert_form_ok(status, &res);
    let with_after = res["file_id"].as_i64().unwrap();
    // ...or before it.
    let cover = encode(
        image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            100,
            200,
            image::Rgb([220, 20, 20]),
        )),
        image::ImageFormat::Jpeg,
    );
    let form = Form::new()
        .text("group_id", g.to_string())
        .part("thumbnail", Part::bytes(cover).file_name("cover.jpg"))
        .part("file", Part::bytes(MP4_2S.to_vec()).file_name("clip2.mp4"));
    let (status, res) = send_form(&server, t.member.t(), form).await;
    assert_form_ok(status, &res);
    let with_before = res["file_id"].as_i64().unwrap();
    let without = server
        .upload_file_into(&t.member, g, None, "bare.mp4", MP4_2S.to_vec())
        .await;

    let (_, img) = thumbnail_jpeg(&server, &t.member2, g, with_after).await;
    assert_eq!((img.width(), img.height()), (256, 192));
    let (_, img) = thumbnail_jpeg(&server, &t.member2, g, with_before).await;
    assert_eq!((img.width(), img.height()), (100, 200));
    let p = img.to_rgb8().get_pixel(50, 100).0;
    assert!(p[0] > 180 && p[1] < 70 && p[2] < 70, "{p:?}");
    assert!(file_keys(&server).contains(&format!("file/{}.thumb", blob_of(&server, with_after))));
    get_fails(thumbnail(&server, &t.member2, g, without).await, 341, 404).await;
    // The videos themselves are unchanged.
    assert_eq!(
        download_bytes(&server, &t.member, g, with_after).await,
        MP4_2S
    );
    // A thumbnail that is not a picture refuses the upload (333), leaving nothing.
    let form = Form::new()
        .text("group_id", g.to_string())
        .part("file", Part::bytes(MP4_2S.to_vec()).file_name("clip3.mp4"))
        .part(
            "thumbnail",
            Part::bytes(text_bytes(50)).file_name("cover.png"),
        );
    upload_fails(&server, t.member.t(), form, 333, 400).await;
    assert_eq!(file_rows(&server), 3);
    assert!(eventually(|| pending_blobs(&server) == 0).await);
    assert_eq!(file_keys(&server).len(), 5, "{:?}", file_keys(&server));
}
