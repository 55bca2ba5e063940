//! `syncwire-bench`: runs the same load scenarios against a syncwire server and a
//! minimal raw tokio-tungstenite broadcast server (the baseline), each on 127.0.0.1
//! in a child process of its own, in the same run, and reports every figure with
//! the ratio syncwire / baseline. See docs/BENCHMARKS.md.

mod args;
mod baseline_server;
mod bigdoc;
mod conn;
mod fanout;
mod multinode;
mod report;
mod resume;
mod scenarios;
mod serve;
mod server_proc;
mod shared_room;

use clap::Parser;

pub use args::Kind;
use args::{Args, Command};
use conn::BenchError;
use fanout::Pace;
use report::{median, quantile, row};
use server_proc::ServerProc;

#[tokio::main]
async fn main() -> Result<(), BenchError> {
    let args = Args::parse();
    if let Some(Command::Serve {
        kind,
        redb,
        merge,
        redis,
    }) = args.command
    {
        let options = serve::ServeOptions { redb, merge, redis };
        return serve::serve(kind, options)
            .await
            .map_err(|e| e.to_string().into());
    }
    let _ = conn::now_us();
    let mut rows = Vec::new();
    let wants = |s: &str| args.scenarios.iter().any(|x| x == s);
    let syncwire = if args.durable {
        Kind::Durable
    } else {
        Kind::Syncwire
    };
    let both = [syncwire, Kind::Baseline];
    if wants("fanout") {
        for &subs in &args.subscribers {
            let deltas = (args.deliveries / subs as u64).max(1);
            let mut rate = [Vec::new(), Vec::new()];
            let mut share = [Vec::new(), Vec::new()];
            let mut cpu = [Vec::new(), Vec::new()];
            for _ in 0..args.rounds.max(1) {
                for (i, kind) in both.into_iter().enumerate() {
                    let server = ServerProc::start(kind).await?;
                    let r = fanout::run(kind, &server, subs, deltas, Pace::Full).await?;
                    cpu[i].push(r.server_cpu_secs * 1e9 / r.delivered.max(1) as f64);
                    server.stop().await;
                    rate[i].push(r.delivered as f64 / r.elapsed.as_secs_f64().max(1e-9));
                    share[i].push(r.delivered as f64 / r.expected.max(1) as f64);
                }
            }
            let [rate, share, cpu] = [rate, share, cpu].map(|v| v.map(median));
            rows.push(row(
                format!("fanout_{subs}"),
                "deliveries_per_sec",
                rate,
                "1/s",
            ));
            rows.push(row(format!("fanout_{subs}"), "delivered_share", share, "1"));
            rows.push(row(
                format!("fanout_{subs}"),
                "server_cpu_per_delivery",
                cpu,
                "ns",
            ));
        }
    }
    if wants("latency") {
        let subs = args.latency_subscribers;
        let per_sec = (args.latency_rate / subs as u64).max(1);
        let deltas = per_sec * args.latency_secs;
        let mut p = [[Vec::new(), Vec::new()], [Vec::new(), Vec::new()]];
        for _ in 0..args.rounds.max(1) {
            for (i, kind) in both.into_iter().enumerate() {
                let server = ServerProc::start(kind).await?;
                let pace = Pace::PerSecond(per_sec);
                let r = fanout::run(kind, &server, subs, deltas, pace).await?;
                server.stop().await;
                p[0][i].push(quantile(&r.latencies_us, 0.50));
                p[1][i].push(quantile(&r.latencies_us, 0.99));
            }
        }
        let p = p.map(|q| q.map(median));
        let sc = format!("latency_{subs}_at_{}", args.latency_rate);
        rows.push(row(sc.clone(), "p50", p[0], "us"));
        rows.push(row(sc, "p99", p[1], "us"));
    }
    if wants("multinode") {
        let latency = (args.latency_rate, args.latency_secs);
        rows.extend(multinode::run(args.rounds, args.deliveries, latency).await?);
    }
    if wants("idle") {
        let mut per = [0.0; 2];
        for (i, kind) in both.into_iter().enumerate() {
            per[i] = scenarios::idle_memory(kind, args.idle).await?;
        }
        rows.push(row(
            format!("idle_{}", args.idle),
            "rss_per_conn",
            per,
            "bytes",
        ));
    }
    if wants("idle_shared") {
        let mut secs = [0.0; 2];
        let mut per = [0.0; 2];
        for (i, kind) in both.into_iter().enumerate() {
            let r = shared_room::run(kind, args.idle_shared).await?;
            secs[i] = r.join_secs;
            per[i] = r.rss_per_conn;
        }
        let sc = format!("idle_shared_{}", args.idle_shared);
        rows.push(row(sc.clone(), "join_all", secs, "s"));
        rows.push(row(sc, "rss_per_conn", per, "bytes"));
    }
    if wants("connect") {
        let mut p = [[0.0; 2]; 2];
        for (i, kind) in both.into_iter().enumerate() {
            let t = scenarios::connect_times(kind, args.connects).await?;
            p[0][i] = quantile(&t, 0.50);
            p[1][i] = quantile(&t, 0.99);
        }
        let sc = format!("connect_{}", args.connects);
        rows.push(row(sc.clone(), "p50", p[0], "us"));
        rows.push(row(sc, "p99", p[1], "us"));
    }
    if wants("resume") {
        let mut p = [[0.0; 2]; 2];
        for (i, kind) in both.into_iter().enumerate() {
            let t = resume::resume_times(kind, args.resumes).await?;
            p[0][i] = quantile(&t, 0.50);
            p[1][i] = quantile(&t, 0.99);
        }
        let sc = format!("resume_{}", args.resumes);
        rows.push(row(sc.clone(), "p50", p[0], "us"));
        rows.push(row(sc, "p99", p[1], "us"));
    }
    if wants("bigdoc") {
        // Here the "baseline" column is syncwire's own counter room (same server
        // settings, same rate): the ratio is what a big state costs.
        let (n, rate, secs) = (args.bigdoc_elements, args.bigdoc_rate, args.bigdoc_secs);
        let mut acks = [Vec::new(), Vec::new()];
        let mut p = [[Vec::new(), Vec::new()], [Vec::new(), Vec::new()]];
        let mut folds = [Vec::new(), Vec::new()];
        for _ in 0..args.rounds.max(1) {
            for (i, doc) in [bigdoc::Doc::OrSet, bigdoc::Doc::Counter]
                .into_iter()
                .enumerate()
            {
                let redb = args.bigdoc_storage != "memory";
                let r = bigdoc::run(doc, n, rate, secs, redb).await?;
                acks[i].push(r.acks_per_sec);
                p[0][i].push(quantile(&r.latencies_us, 0.50));
                p[1][i].push(quantile(&r.latencies_us, 0.99));
                folds[i].push(r.compactions as f64);
            }
        }
        let sc = format!("bigdoc_{n}_at_{rate}_{}", args.bigdoc_storage);
        let [acks, folds] = [acks, folds].map(|v| v.map(median));
        rows.push(row(sc.clone(), "acks_per_sec", acks, "1/s"));
        let p = p.map(|q| q.map(median));
        rows.push(row(sc.clone(), "ack_p50", p[0], "us"));
        rows.push(row(sc.clone(), "ack_p99", p[1], "us"));
        rows.push(row(sc, "compactions", folds, "1"));
    }
    if args.durable {
        for r in &mut rows {
            r.scenario.push_str("_durable");
        }
    }
    if args.json {
        for r in &rows {
            println!("{}", r.json());
        }
    } else {
        report::print_table(&rows);
    }
    Ok(())
}
