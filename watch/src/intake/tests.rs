//! The intake's budget under load: the scanner is this test, which holds jobs back.

use super::*;
use crate::scan::Ack;
use sigil_engine::Content;
use std::io::{Read, Write};

/// The intake on 127.0.0.1 with a budget of `limit` bytes; its jobs come to the test.
async fn serve(limit: usize) -> (SocketAddr, mpsc::Receiver<Job>, Arc<Budget>, Arc<Metrics>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (jobs, queue) = mpsc::channel(64);
    let (budget, metrics) = (Budget::new(limit), Arc::new(Metrics::default()));
    let router = router(jobs, Arc::clone(&metrics), address, Arc::clone(&budget));
    tokio::spawn(async move { axum::serve(listener, router).await });
    (address, queue, budget, metrics)
}

/// An answer: status, `Retry-After`, body.
type Answer = (u16, Option<String>, String);

async fn post(address: SocketAddr, headers: &[(&str, &str)], body: Vec<u8>) -> Answer {
    let mut request = reqwest::Client::new()
        .post(format!("http://{address}/events"))
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (status, retry_after, response.text().await.unwrap())
}

/// An NDJSON body of exactly `size` bytes, told apart by `n`.
fn body(n: usize, size: usize) -> Vec<u8> {
    let head = format!("{{\"n\":{n},\"pad\":\"");
    let pad = size - head.len() - "\"}\n".len();
    format!("{head}{}\"}}\n", "x".repeat(pad)).into_bytes()
}

/// A job's document and acknowledgement.
fn document(job: Job) -> (Vec<u8>, Ack) {
    let Job::Whole {
        input,
        ack: Some(ack),
        ..
    } = job
    else {
        panic!("the intake sends whole inputs with an acknowledgement");
    };
    let Content::Reader(mut reader) = input.content else {
        panic!("the intake's inputs are read from memory");
    };
    let mut document = Vec::new();
    reader.read_to_end(&mut document).unwrap();
    (document, ack)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_past_the_budget_are_refused_and_those_taken_are_delivered() {
    const SIZE: usize = 1000;
    let (address, mut queue, budget, metrics) = serve(3 * SIZE + SIZE / 2).await;

    // Three requests are taken; the scanner holds them, so they are not answered yet.
    let taken: Vec<_> = (0..3)
        .map(|n| tokio::spawn(post(address, &[], body(n, SIZE))))
        .collect();
    let mut jobs = Vec::new();
    for _ in 0..3 {
        jobs.push(document(queue.recv().await.unwrap()));
    }
    assert_eq!(budget.held(), 3 * SIZE);

    // A fourth finds the intake full: 503, to be sent again; Firehose gets its JSON.
    let (status, retry_after, answer) = tokio::select! {
        answer = post(address, &[], body(3, SIZE)) => answer,
        _ = queue.recv() => panic!("a request past the budget was queued"),
    };
    assert_eq!(
        (status, retry_after.as_deref()),
        (503, Some("1")),
        "{answer}"
    );
    let firehose = format!(
        r#"{{"requestId":"fh-1","timestamp":1,"records":[{{"data":"{}"}}]}}"#,
        "eyJhIjoxfQ==".repeat(SIZE / 12)
    );
    let headers = [("x-amz-firehose-request-id", "fh-1")];
    let (status, retry_after, answer) = post(address, &headers, firehose.into_bytes()).await;
    assert_eq!((status, retry_after.as_deref()), (503, Some("1")));
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["requestId"], "fh-1");
    assert!(
        answer["errorMessage"]
            .as_str()
            .unwrap()
            .contains("send again")
    );
    // Nothing refused was queued, and nothing is held for it.
    assert!(queue.try_recv().is_err());
    assert_eq!(budget.held(), 3 * SIZE);

    // A request bigger than the budget could ever hold: 413, whatever is held.
    let (status, retry_after, _) = post(address, &[], body(4, 4 * SIZE)).await;
    assert_eq!((status, retry_after), (413, None));

    // Those taken are delivered: their documents are the bodies sent, answered once
    // acknowledged, and what they held is given back.
    let mut documents: Vec<Vec<u8>> = Vec::new();
    for (document, ack) in jobs {
        documents.push(document);
        ack();
    }
    documents.sort();
    assert_eq!(documents, (0..3).map(|n| body(n, SIZE)).collect::<Vec<_>>());
    for request in taken {
        let (status, _, answer) = request.await.unwrap();
        assert_eq!(
            (status, answer.as_str()),
            (200, r#"{"status":"delivered"}"#)
        );
    }
    assert_eq!(budget.held(), 0);

    // The refused request, sent again, is taken.
    let again = tokio::spawn(post(address, &[], body(3, SIZE)));
    let (document, ack) = document(queue.recv().await.unwrap());
    assert_eq!(document, body(3, SIZE));
    ack();
    assert_eq!(again.await.unwrap().0, 200);
    assert_eq!(budget.held(), 0);

    let refused = |kind, reason| {
        let labels = [("kind", kind), ("reason", reason)];
        metrics.get("sigil_intake_refused_total", &labels)
    };
    assert_eq!(refused("events", "busy"), 1.0);
    assert_eq!(refused("firehose", "busy"), 1.0);
    assert_eq!(refused("events", "too_large"), 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_without_a_length_is_counted_as_it_is_read() {
    const LIMIT: usize = 4096;
    let (address, mut queue, budget, _) = serve(LIMIT).await;
    let chunked = move |body: &[u8]| {
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        let head = "POST /events HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";
        stream.write_all(head.as_bytes()).unwrap();
        // The server may have answered and closed before the end (a body past the budget), so
        // a write may fail: the answer is read anyway.
        let mut send = || -> std::io::Result<()> {
            for chunk in body.chunks(500) {
                write!(stream, "{:x}\r\n", chunk.len())?;
                stream.write_all(chunk)?;
                stream.write_all(b"\r\n")?;
            }
            stream.write_all(b"0\r\n\r\n")
        };
        let _ = send();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    };

    // Within the budget: taken, its buffer's capacity held until it is answered.
    let small = tokio::task::spawn_blocking(move || chunked(&body(0, 1500)));
    let (document, ack) = document(queue.recv().await.unwrap());
    assert_eq!(document, body(0, 1500));
    assert!((1500..=LIMIT).contains(&budget.held()));
    ack();
    assert!(small.await.unwrap().starts_with("HTTP/1.1 200"));
    assert_eq!(budget.held(), 0);

    // Past it: refused as it grows, never taken.
    let large = tokio::task::spawn_blocking(move || chunked(&body(1, 2 * LIMIT)));
    assert!(large.await.unwrap().starts_with("HTTP/1.1 413"));
    assert!(queue.try_recv().is_err());
    assert_eq!(budget.held(), 0);
}
