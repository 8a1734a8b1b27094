//! Tracing subscriber set-up: logs on stderr, and, when configured, traces exported over
//! OTLP (OpenTelemetry), e.g. to a Jaeger, Tempo or collector the production team runs.

use std::io::IsTerminal;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, fmt};

use crate::config::LogFormat;

/// The OpenTelemetry environment variables that switch the trace export on: the OTLP/HTTP
/// endpoint of a collector, e.g. `http://collector:4318` (traces go to `/v1/traces`), or the
/// traces endpoint itself.
const ENDPOINT_VARIABLES: [&str; 2] = [
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
];

/// Flushes the traces still buffered when dropped (at the end of the command).
pub struct Telemetry(Option<SdkTracerProvider>);

impl Drop for Telemetry {
    fn drop(&mut self) {
        // On a thread of its own: the exporter's blocking HTTP client must not run on (nor be
        // dropped by) an async runtime's thread.
        if let Some(provider) = self.0.take()
            && let Ok(Err(err)) = std::thread::spawn(move || provider.shutdown()).join()
        {
            eprintln!("maillage: the last traces could not be exported: {err}");
        }
    }
}

/// Installs the global subscriber: level from `RUST_LOG` (default `info`), format as asked,
/// and the OTLP trace export when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`) is
/// set; the other `OTEL_*` variables (headers, timeout, batch delay, service name) apply as
/// the OpenTelemetry specification says. Off otherwise.
pub fn init(format: LogFormat) -> Telemetry {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let ansi = std::io::stderr().is_terminal();
    let text = (format == LogFormat::Text)
        .then(|| fmt::layer().with_writer(std::io::stderr).with_ansi(ansi));
    let json = (format == LogFormat::Json).then(|| {
        fmt::layer()
            .json()
            .with_current_span(true)
            .with_writer(std::io::stderr)
    });
    // Built on a thread of its own, like its shutdown (see `Telemetry`).
    let provider = match std::thread::spawn(exporter).join() {
        Ok(Ok(provider)) => provider,
        Ok(Err(err)) => {
            eprintln!("maillage: traces will not be exported: {err}");
            None
        }
        Err(_) => None,
    };
    let otel = provider
        .as_ref()
        .map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer("maillage")));
    // `try_init` fails only when a subscriber is already installed, which is fine.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(text)
        .with(json)
        .with(otel)
        .try_init();
    Telemetry(provider)
}

/// The tracer provider exporting over OTLP/HTTP, if an endpoint is configured.
fn exporter() -> anyhow::Result<Option<SdkTracerProvider>> {
    if !ENDPOINT_VARIABLES
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|value| !value.is_empty()))
    {
        return Ok(None);
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name("maillage")
        .build();
    Ok(Some(
        SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource)
            .build(),
    ))
}
