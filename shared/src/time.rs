//! Time as the API shows it: `%Y/%m/%d %H:%M:%S` in a fixed offset (UTC+8 by default).

use chrono::{DateTime, FixedOffset};

pub const FORMAT: &str = "%Y/%m/%d %H:%M:%S";

/// Milliseconds since the epoch, for rate limits.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Seconds since the Unix epoch, the form every time is stored in.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Now, as logs write it (RFC 3339 in UTC, microseconds): the shape of the native JSON lines.
pub fn log_timestamp() -> String {
    DateTime::from_timestamp_millis(now_ms())
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Formats stored seconds for clients.
pub fn format(unix_seconds: i64, offset_hours: i32) -> String {
    let offset = FixedOffset::east_opt(offset_hours.clamp(-23, 23) * 3600)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset is valid"));
    DateTime::from_timestamp(unix_seconds, 0)
        .unwrap_or_default()
        .with_timezone(&offset)
        .format(FORMAT)
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_in_china_time_by_default() {
        // 2024-01-01T00:00:00Z is 08:00 in Beijing.
        assert_eq!(super::format(1_704_067_200, 8), "2024/01/01 08:00:00");
        assert_eq!(super::format(1_704_067_200, 0), "2024/01/01 00:00:00");
    }
}
