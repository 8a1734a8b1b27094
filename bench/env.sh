# The server's settings in every benchmark (sourced by bench/run.sh and bench/peers.sh): a
# fixed signing secret and data key (citizens' content is sealed at rest; BENCH_REUSE finds
# its data again), no demo seed, JSON logs, warnings only.
export MAILLAGE_JWT_SECRET=bench-secret-bench-secret-bench-secret
export MAILLAGE_DATA_KEY=YmVuY2gtZGF0YS1rZXktYmVuY2gtZGF0YS1rZXktMDE=
export MAILLAGE_DEMO_SEED=false
export MAILLAGE_LOG_FORMAT=json
export RUST_LOG=warn
