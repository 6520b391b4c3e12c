//! `zudui seed`: fills a data directory with realistic users and groups (Chinese names, intros
//! and tags) for demos and benchmarks. Deterministic for a given `--seed`.

use zudui_shared::db::{group_search, group_tags, group_types, groups, members, users};
use zudui_shared::ids::UserId;
use zudui_shared::native::SqliteDb;
use zudui_shared::storage::Database;
use zudui_shared::{migrate, time};

pub struct SeedArgs {
    pub users: usize,
    pub groups: usize,
    pub seed: u64,
}

impl SeedArgs {
    pub fn parse(args: &[String]) -> anyhow::Result<SeedArgs> {
        let mut out = SeedArgs {
            users: 1000,
            groups: 2000,
            seed: 42,
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = || -> anyhow::Result<u64> {
                it.next()
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| anyhow::anyhow!("{arg} takes a number"))
            };
            match arg.as_str() {
                "--users" => out.users = value()? as usize,
                "--groups" => out.groups = value()? as usize,
                "--seed" => out.seed = value()?,
                other => anyhow::bail!("unknown option {other}"),
            }
        }
        anyhow::ensure!(out.users >= 1, "--users must be at least 1");
        Ok(out)
    }
}

/// A small deterministic generator (SplitMix64): demo data needs no cryptographic randomness.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// Skewed towards small values: most groups are small, a few are large.
    fn skewed(&mut self, max: usize) -> usize {
        let a = self.below(max) + 1;
        let b = self.below(max) + 1;
        a.min(b)
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "子", "轩", "涵", "浩", "宇", "欣", "怡", "晨", "博", "雨",
];
const PLACES: &[&str] = &[
    "北京",
    "上海",
    "杭州",
    "成都",
    "南京",
    "武汉",
    "西安",
    "广州",
    "深圳",
    "重庆",
    "校内",
    "东区",
    "西区",
    "南校区",
    "图书馆",
    "大学城",
    "五道口",
    "中关村",
];
const SUFFIXES: &[&str] = &[
    "小组",
    "群",
    "俱乐部",
    "队",
    "互助群",
    "交流群",
    "搭子群",
    "联盟",
];
const WHEN: &[&str] = &[
    "周末",
    "每晚",
    "工作日",
    "寒假",
    "暑假",
    "长期",
    "本学期",
    "下班后",
];
const GENERIC_TAGS: &[&str] = &[
    "新手友好",
    "周末",
    "晚上",
    "长期",
    "女生友好",
    "学生党",
    "上班族",
    "零基础",
    "高手带飞",
    "佛系",
    "打卡",
    "线下",
    "线上",
];

/// Activities of each default group type.
fn activities(kind: &str) -> &'static [&'static str] {
    match kind {
        "学习" => &[
            "考研",
            "四六级",
            "雅思",
            "托福",
            "高数",
            "英语口语",
            "编程",
            "算法",
            "Python",
            "Rust",
            "期末复习",
            "自习",
            "考公",
            "法考",
            "会计",
            "日语",
        ],
        "运动" => &[
            "羽毛球",
            "篮球",
            "足球",
            "夜跑",
            "健身",
            "游泳",
            "骑行",
            "登山",
            "乒乓球",
            "网球",
            "瑜伽",
            "滑板",
            "飞盘",
            "攀岩",
        ],
        "游戏" => &[
            "王者荣耀",
            "原神",
            "英雄联盟",
            "狼人杀",
            "剧本杀",
            "我的世界",
            "和平精英",
            "守望先锋",
            "炉石传说",
            "蛋仔派对",
            "三国杀",
        ],
        "出行" => &[
            "拼车",
            "自驾游",
            "徒步",
            "露营",
            "西藏",
            "云南",
            "周末短途",
            "川西",
            "海岛",
            "古镇",
            "看海",
            "赏花",
        ],
        "竞赛" => &[
            "数学建模",
            "ACM",
            "挑战杯",
            "互联网+",
            "电子设计",
            "创新创业",
            "蓝桥杯",
            "Kaggle",
            "机器人",
            "程序设计",
        ],
        "兴趣" => &[
            "摄影",
            "读书会",
            "吉他",
            "桌游",
            "烘焙",
            "书法",
            "电影",
            "追剧",
            "手工",
            "动漫",
            "汉服",
            "钢琴",
            "绘画",
        ],
        _ => &[
            "拼单",
            "二手交易",
            "宠物",
            "志愿者",
            "求职内推",
            "租房",
            "失物招领",
            "外卖拼单",
            "代取快递",
        ],
    }
}

fn person(rng: &mut Rng) -> String {
    let mut name = rng.pick(SURNAMES).to_owned();
    for _ in 0..1 + rng.below(2) {
        name.push_str(rng.pick(GIVEN));
    }
    name
}

fn group_name(rng: &mut Rng, activity: &str) -> String {
    match rng.below(4) {
        0 => format!("{}{}{}", rng.pick(PLACES), activity, rng.pick(SUFFIXES)),
        1 => format!("{}{}{}", rng.pick(WHEN), activity, rng.pick(SUFFIXES)),
        2 => format!("{}{}", activity, rng.pick(SUFFIXES)),
        _ => format!("{}{}{}", rng.pick(PLACES), rng.pick(WHEN), activity),
    }
}

fn intro(rng: &mut Rng, activity: &str, other: &str) -> String {
    let openings = [
        format!("欢迎喜欢{activity}的朋友加入！"),
        format!("一起{activity}，一起进步。"),
        format!("{}固定活动，{}。", rng.pick(WHEN), rng.pick(GENERIC_TAGS)),
        format!("本群主要交流{activity}和{other}。"),
    ];
    let closings = [
        "请遵守群规，友好交流。".to_owned(),
        format!("地点一般在{}附近。", rng.pick(PLACES)),
        "有问题随时找管理员。".to_owned(),
        format!("欢迎{}加入。", rng.pick(GENERIC_TAGS)),
    ];
    let first = openings[rng.below(openings.len())].clone();
    format!("{first}{}", closings[rng.below(closings.len())])
}

/// Fills the data directory's database; returns `(users, groups, memberships)` created.
pub fn run(data_dir: &std::path::Path, args: &SeedArgs) -> anyhow::Result<(usize, usize, usize)> {
    std::fs::create_dir_all(data_dir)?;
    let db = SqliteDb::open(&data_dir.join("zudui.sqlite"))?;
    migrate::ensure(&db).map_err(|e| anyhow::anyhow!("migrations: {e}"))?;
    let db: &dyn Database = &db;
    let mut rng = Rng(args.seed);
    let now = time::now();
    let fail = |e: zudui_shared::Error| anyhow::anyhow!("{e}");
    // The types the database holds: the contract's, or an operator's own list.
    let types = db.run(|c| Ok(group_types::list(c)?)).map_err(fail)?;
    anyhow::ensure!(!types.is_empty(), "the database lists no group types");

    let mut user_ids = Vec::with_capacity(args.users);
    for batch in (0..args.users).collect::<Vec<_>>().chunks(2000) {
        db.tx(|c| {
            for &i in batch {
                let id = UserId::from(format!("{:032x}", rng.next() as u128 | ((i as u128) << 64)));
                let created = now - rng.below(365 * 86_400) as i64;
                users::insert_if_new(
                    c,
                    &id,
                    &format!("seed-{}-{i}", args.seed),
                    &person(&mut rng),
                    created,
                )?;
                user_ids.push(id);
            }
            Ok(())
        })
        .map_err(fail)?;
    }

    let mut memberships = 0;
    for batch in (0..args.groups).collect::<Vec<_>>().chunks(1000) {
        db.tx(|c| {
            for _ in batch {
                let kind = types[rng.below(types.len())].as_str();
                let acts = activities(kind);
                let activity = rng.pick(acts);
                let other = rng.pick(acts);
                let limit = [5, 10, 20, 50, 100, 200, 500][rng.below(7)] as i64;
                let creator = &user_ids[rng.below(user_ids.len())];
                let created = now - rng.below(180 * 86_400) as i64;
                let id = groups::insert(
                    c,
                    kind,
                    &group_name(&mut rng, activity),
                    limit,
                    creator,
                    created,
                )?;
                groups::set_info(c, id, &intro(&mut rng, activity, other))?;
                members::insert(c, id, creator, false, created)?;
                // Most groups are small and a few are large (about a ninth of the limit on average).
                let typical = rng.skewed(limit as usize);
                let wanted = rng.skewed(typical).min(user_ids.len());
                let mut count = 1;
                for _ in 1..wanted {
                    let user = &user_ids[rng.below(user_ids.len())];
                    if members::insert(c, id, user, rng.below(8) == 0, created)? == 1 {
                        count += 1;
                    }
                }
                groups::add_members(c, id, count - 1)?;
                memberships += count as usize;
                let mut tags = vec![activity.to_owned()];
                for _ in 0..rng.below(4) {
                    let tag = if rng.below(2) == 0 {
                        rng.pick(GENERIC_TAGS)
                    } else {
                        rng.pick(acts)
                    };
                    if !tags.iter().any(|t| t == tag) {
                        tags.push(tag.to_owned());
                    }
                }
                for tag in &tags {
                    group_tags::insert(c, id, tag, created)?;
                }
                group_search::refresh(c, id)?;
            }
            Ok(())
        })
        .map_err(fail)?;
    }
    db.tx(|c| Ok(group_tags::rebuild_stats(c)?)).map_err(fail)?;
    Ok((user_ids.len(), args.groups, memberships))
}
