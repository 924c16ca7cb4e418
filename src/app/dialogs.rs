//! Native file dialogs (via `rfd`) run on a helper thread so the window keeps painting
//! while one is open; the answer is collected by [`PendingDialog::poll`].

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver};

/// At most one open file dialog and the channel its answer arrives on.
#[derive(Debug, Default)]
pub struct PendingDialog {
    answer: Option<Receiver<Option<PathBuf>>>,
}

impl PendingDialog {
    /// Asks for an existing CLV Desk database.
    pub fn pick_database(&mut self) {
        self.spawn(|| {
            rfd::FileDialog::new()
                .set_title("Open a CLV Desk database")
                .add_filter("CLV Desk database", &["sqlite", "db"])
                .add_filter("All files", &["*"])
                .pick_file()
        });
    }

    /// Asks where to create a new database.
    pub fn new_database(&mut self) {
        self.spawn(|| {
            rfd::FileDialog::new()
                .set_title("Create a new CLV Desk database")
                .set_file_name(crate::store::DEFAULT_FILE_NAME)
                .add_filter("CLV Desk database", &["sqlite"])
                .save_file()
        });
    }

    /// The chosen path once the owner answered; `None` while open or after Cancel.
    pub fn poll(&mut self) -> Option<PathBuf> {
        let receiver = self.answer.as_ref()?;
        match receiver.try_recv() {
            Ok(answer) => {
                self.answer = None;
                answer
            }
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => {
                self.answer = None;
                None
            }
        }
    }

    fn spawn(&mut self, ask: impl FnOnce() -> Option<PathBuf> + Send + 'static) {
        if self.answer.is_some() {
            return; // one dialog at a time
        }
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("clv-desk-file-dialog".to_owned())
            .spawn(move || {
                let _ = tx.send(ask());
            });
        if spawned.is_ok() {
            self.answer = Some(rx);
        }
    }
}
