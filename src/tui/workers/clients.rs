//! The Clients step's work: find and probe the interpreters, and run the pip commands the
//! operator confirmed, one after the other, with their output line by line.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Reply;
use crate::clients::{self, pip};
use crate::tui::screens::clients::{Work, WorkEvent};

pub async fn run(work: Work, reply: Reply<WorkEvent>, cancel: CancellationToken) {
    let send = |event: WorkEvent| {
        reply.send(event);
    };
    match work {
        Work::Find { run, request } => {
            let started = std::time::Instant::now();
            let result = tokio::select! {
                result = clients::discover(&request) => result,
                () = cancel.cancelled() => return,
            };
            send(WorkEvent::Found {
                run,
                result: Box::new(result),
                took: started.elapsed(),
            });
        }
        Work::Pip { run, commands } => {
            for (index, command) in commands.iter().enumerate() {
                send(WorkEvent::PipStarted { run, index });
                let (tx, mut rx) = mpsc::unbounded_channel();
                let forward_to = reply.clone();
                let forward = tokio::spawn(async move {
                    while let Some(line) = rx.recv().await {
                        forward_to.send(WorkEvent::PipLine { run, line });
                    }
                });
                let code = pip::run_streamed(command, tx, cancel.clone())
                    .await
                    .map_err(Arc::new);
                let _ = forward.await;
                let ok = matches!(code, Ok(Some(0)));
                send(WorkEvent::PipExited { run, index, code });
                if !ok || cancel.is_cancelled() {
                    break;
                }
            }
            send(WorkEvent::PipDone { run });
        }
    }
}
