//! The native server's telemetry: its log lines (`zudui_relay::logging`), and its request spans
//! exported to an OpenTelemetry collector when `OTEL_EXPORTER_OTLP_ENDPOINT` names one (OTLP
//! over plain HTTP with protobuf, as to a collector or agent beside the server; the standard
//! `OTEL_*` variables tune it; the service is `zudui` unless `OTEL_SERVICE_NAME` says otherwise).

use opentelemetry::propagation::Extractor;
use opentelemetry::trace::{Status, TracerProvider as _};
use opentelemetry_otlp::SpanExporter;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use zudui_relay::logging;

/// Installs the process's subscriber. Keep the guard until the process ends: dropping it sends
/// the spans still waiting.
pub fn init() -> anyhow::Result<Guard> {
    let mut layers = vec![logging::lines()?];
    let provider = match configured("OTEL_EXPORTER_OTLP_ENDPOINT")
        .or_else(|| configured("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
    {
        None => None,
        Some(_) => {
            let exporter = SpanExporter::builder().with_http().build()?;
            let mut resource = Resource::builder();
            if configured("OTEL_SERVICE_NAME").is_none() {
                resource = resource.with_service_name("zudui");
            }
            let provider = SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(resource.build())
                .build();
            let tracer = provider.tracer("zudui");
            // A caller's `traceparent` makes a request's span part of the caller's trace.
            opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
            layers.push(Box::new(tracing_opentelemetry::layer().with_tracer(tracer)));
            Some(provider)
        }
    };
    logging::install(layers)?;
    Ok(Guard(provider))
}

/// Joins `span` to the trace its request's `traceparent` names, if any (nothing without export:
/// the default propagator finds nothing).
pub fn adopt_parent(span: &tracing::Span, headers: &http::HeaderMap) {
    let parent =
        opentelemetry::global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(headers)));
    // A span that is not exported has nothing to join.
    let _ = span.set_parent(parent);
}

/// What the span of an answered request says of its answer: the status, and an error for a 5xx.
pub fn answered(span: &tracing::Span, status: u16) {
    span.set_attribute("http.response.status_code", i64::from(status));
    if status >= 500 {
        span.set_status(Status::error(format!("HTTP {status}")));
    }
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

fn configured(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub struct Guard(Option<SdkTracerProvider>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(provider) = self.0.take() {
            if let Err(err) = provider.shutdown() {
                eprintln!("OpenTelemetry: the last spans were not sent: {err}");
            }
        }
    }
}
