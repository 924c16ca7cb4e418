//! The background writer: one thread owns the database's only writer connection and runs
//! long work (imports, demo data, model fits) off the UI thread, one job at a time, with a
//! progress fraction and a cancel flag the UI can read and set without blocking.
//!
//! After each job the worker reloads the [`Snapshot`] the views read, so the UI thread never
//! runs SQL.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::Snapshot;
use crate::store::Store;

/// Shared between a running job and the UI: how far it is and whether to stop.
#[derive(Debug, Default)]
pub struct Progress {
    fraction_bits: AtomicU32,
    cancel: AtomicBool,
    message: Mutex<String>,
}

impl Progress {
    /// Sets the fraction done (0–1) and what is happening, in words.
    pub fn set(&self, fraction: f32, message: impl Into<String>) {
        self.fraction_bits
            .store(fraction.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
        if let Ok(mut m) = self.message.lock() {
            *m = message.into();
        }
    }

    /// Fraction done, 0–1.
    pub fn fraction(&self) -> f32 {
        f32::from_bits(self.fraction_bits.load(Ordering::Relaxed))
    }

    /// What the job is doing now.
    pub fn message(&self) -> String {
        self.message.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Asks the job to stop at its next check; it then rolls back.
    pub fn request_cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Whether cancel was requested.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// The work a job does with the writer connection; returns a one-line result for the owner.
pub type JobFn = Box<dyn FnOnce(&mut Store, &Progress) -> anyhow::Result<String> + Send>;

struct Job {
    progress: Arc<Progress>,
    run: JobFn,
}

/// A job the UI is waiting for.
#[derive(Clone, Debug)]
pub struct RunningJob {
    /// What the job is, e.g. "Loading demo data".
    pub label: String,
    /// Its live progress.
    pub progress: Arc<Progress>,
}

/// What the worker reports when a job ends.
#[derive(Debug)]
pub struct JobFinished {
    /// The job's label.
    pub label: String,
    /// The one-line result, or the error in words.
    pub result: Result<String, String>,
    /// The data as it is now, or why it could not be read.
    pub snapshot: Result<Snapshot, String>,
}

/// Handle to the writer thread.
pub struct Worker {
    jobs: Option<Sender<(String, Job)>>,
    finished: Receiver<JobFinished>,
    running: Option<RunningJob>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("running", &self.running)
            .finish_non_exhaustive()
    }
}

impl Worker {
    /// Moves `store` onto a new writer thread.
    pub fn start(mut store: Store) -> Worker {
        let (job_tx, job_rx) = mpsc::channel::<(String, Job)>();
        let (done_tx, done_rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("clv-desk-writer".to_owned())
            .spawn(move || {
                for (label, job) in job_rx {
                    let result = (job.run)(&mut store, &job.progress).map_err(|e| format!("{e:#}"));
                    let snapshot = Snapshot::load(&store).map_err(|e| e.to_string());
                    if done_tx
                        .send(JobFinished {
                            label,
                            result,
                            snapshot,
                        })
                        .is_err()
                    {
                        break;
                    }
                }
            })
            .ok();
        Worker {
            jobs: Some(job_tx),
            finished: done_rx,
            running: None,
            thread,
        }
    }

    /// Starts `run` unless a job is already running; returns false (and does nothing) then.
    pub fn submit(&mut self, label: impl Into<String>, run: JobFn) -> bool {
        if self.running.is_some() {
            return false;
        }
        let label = label.into();
        let progress = Arc::new(Progress::default());
        progress.set(0.0, label.clone());
        let job = Job {
            progress: Arc::clone(&progress),
            run,
        };
        let Some(jobs) = &self.jobs else {
            return false;
        };
        if jobs.send((label.clone(), job)).is_err() {
            return false;
        }
        self.running = Some(RunningJob { label, progress });
        true
    }

    /// The job in progress, if any.
    pub fn running(&self) -> Option<&RunningJob> {
        self.running.as_ref()
    }

    /// Collects a finished job, if one ended since the last call.
    pub fn poll(&mut self) -> Option<JobFinished> {
        match self.finished.try_recv() {
            Ok(done) => {
                self.running = None;
                Some(done)
            }
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => self.running.take().map(|job| JobFinished {
                label: job.label,
                result: Err("the background writer stopped unexpectedly".to_owned()),
                snapshot: Err("the background writer stopped unexpectedly".to_owned()),
            }),
        }
    }

    /// Blocks until the running job (if any) ends and returns its report. For tests and the
    /// CLI; the UI polls instead.
    pub fn wait(&mut self) -> Option<JobFinished> {
        self.running.as_ref()?;
        let done = self.finished.recv().ok();
        self.running = None;
        done
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(job) = &self.running {
            job.progress.request_cancel();
        }
        // Closing the channel ends the thread's loop after the current job.
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
