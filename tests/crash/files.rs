//! Files: slow multipart uploads and resumable uploads, killed.

use crate::support::*;
use crate::uploads::*;

/// Several slow multipart uploads to two groups and two resumable uploads (one part put, one in
/// flight) are cut by SIGKILL at a different moment in each round; after each restart the
/// database is intact, nothing partial is listed, every answered upload is there, the startup
/// sweep collects every orphan, the resumable uploads resume (or abort) cleanly, and each
/// group's used space equals its chunk bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn uploads_cut_by_a_kill_leave_whole_files_and_no_orphans() {
    let started = Instant::now();
    let data = tempfile::tempdir().expect("temp dir");
    let dir = data.path();
    let mut server = start(dir, "server-0").await;
    let owner = user(&server, "crash-files-owner").await;
    let member = user(&server, "crash-files-member").await;
    let g1 = group(&server, &owner, "崩溃测试一", &[&member]).await;
    let g2 = group(&server, &owner, "崩溃测试二", &[&member]).await;
    let groups = [g1, g2];

    let mut expected: HashMap<(i64, String), Expected> = HashMap::new();
    let mut answered: Vec<(i64, String, i64)> = Vec::new();
    let mut violations = Vec::new();

    // Where each round's kill lands, after the uploads start (each slow upload takes about a
    // second and they start 200 ms apart). The first round is placed early in a wall-clock
    // second, so the server restarts within the second in which the cut uploads began.
    let rounds: [(Option<Duration>, Duration); 3] = [
        (Some(Duration::from_millis(20)), Duration::from_millis(320)),
        (None, Duration::from_millis(900)),
        (None, Duration::from_millis(1500)),
    ];
    for (round, (align, kill_after)) in rounds.into_iter().enumerate() {
        let round = round + 1;
        let seed = round as u64 * 100;
        // A small upload answered before anything is cut: it must survive every kill.
        let small = content(seed, 200_000);
        let small_name = format!("r{round}-small.bin");
        let id = slow_upload(
            server.base.clone(),
            member.token.clone(),
            g2,
            small_name.clone(),
            small.clone(),
            1 << 20,
            Duration::ZERO,
        )
        .await
        .expect("the small upload");
        expected.insert((g2, small_name.clone()), Expected::of(g2, &small));
        answered.push((g2, small_name, id));

        // Resumable uploads: one to resume (its last part put, its first in flight), one to
        // abort (its first part put, its second in flight).
        let resume_data = content(seed + 50, PART_SIZE + 300_000);
        let resume_name = format!("r{round}-resume.bin");
        let resume_id = begin(&server, &member, g1, &resume_name, resume_data.len()).await;
        assert!(
            put_part(
                server.base.clone(),
                member.token.clone(),
                resume_id,
                1,
                resume_data.slice(part_range(resume_data.len(), 1)),
                None
            )
            .await
        );
        let abort_data = content(seed + 60, 2 * PART_SIZE);
        let abort_name = format!("r{round}-abort.bin");
        let abort_id = begin(&server, &owner, g2, &abort_name, abort_data.len()).await;
        assert!(
            put_part(
                server.base.clone(),
                owner.token.clone(),
                abort_id,
                0,
                abort_data.slice(part_range(abort_data.len(), 0)),
                None
            )
            .await
        );

        if let Some(into) = align {
            align_to_second(into).await;
        }
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        // The parts in flight: 8 MiB at about 4 MB/s, still arriving at every kill.
        for (who, id, part, data) in [
            (&member, resume_id, 0, resume_data.slice(0..PART_SIZE)),
            (
                &owner,
                abort_id,
                1,
                abort_data.slice(part_range(abort_data.len(), 1)),
            ),
        ] {
            tasks.push(tokio::spawn(put_part(
                server.base.clone(),
                who.token.clone(),
                id,
                part,
                data,
                Some(Duration::from_millis(15)),
            )));
        }
        // Four slow multipart uploads of 3 MiB and a bit, about a second each, 200 ms apart.
        let mut uploads = Vec::new();
        for i in 0..4u64 {
            let group = groups[i as usize % 2];
            let who = if i % 2 == 0 { &member } else { &owner };
            let bytes = content(seed + 1 + i, (3 << 20) + 12_345 * i as usize);
            let name = format!("r{round}-u{i}.bin");
            expected.insert((group, name.clone()), Expected::of(group, &bytes));
            let (delay, pause) = (Duration::from_millis(200 * i), Duration::from_millis(10));
            let task = spawn_slow_upload(&server, (who, group, &name), bytes, delay, pause);
            uploads.push((group, name, task));
        }

        tokio::time::sleep(kill_after.saturating_sub(t0.elapsed())).await;
        server.kill();
        eprintln!(
            "round {round}: killed {:?} after the uploads began",
            t0.elapsed()
        );

        let mut in_flight_landed = Vec::new();
        for task in tasks {
            in_flight_landed.push(task.await.unwrap());
        }
        for (group, name, task) in uploads {
            if let Some(id) = task.await.unwrap() {
                answered.push((group, name, id));
            }
        }
        let resumables = [
            Resumable {
                id: resume_id,
                group: g1,
                name: resume_name,
                data: resume_data,
                acked: [1]
                    .into_iter()
                    .chain(in_flight_landed[0].then_some(0))
                    .collect(),
                in_flight: vec![0],
                resume: true,
            },
            Resumable {
                id: abort_id,
                group: g2,
                name: abort_name,
                data: abort_data,
                acked: [0]
                    .into_iter()
                    .chain(in_flight_landed[1].then_some(1))
                    .collect(),
                in_flight: vec![1],
                resume: false,
            },
        ];

        let name = format!("server-{round}");
        let mut found = Vec::new();
        server = restart(dir, &name, &mut found).await;
        check_listed_files(&server, &owner, &groups, &expected, &answered, &mut found).await;
        check_quota(&server, dir, &groups, &mut found).await;
        for (up, who) in resumables.iter().zip([&member, &owner]) {
            finish_resumable(
                &server,
                dir,
                who,
                up,
                &mut expected,
                &mut answered,
                &mut found,
            )
            .await;
        }
        check_quota(&server, dir, &groups, &mut found).await;
        for problem in found {
            violations.push(format!("round {round}: {problem}"));
        }
    }
    // Once more, after everything was resumed or aborted: nothing is left over.
    for problem in orphans(dir) {
        violations.push(format!("at the end: {problem}"));
    }
    drop(server);
    eprintln!("files: {:?}", started.elapsed());
    fail_on(&violations);
}
