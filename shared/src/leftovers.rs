//! What a write leaves to do once its transaction has committed: stored content that no row
//! points at any more, and live events. Deleting blobs or telling sockets before the commit
//! could lose data or announce a change that was rolled back; doing it after needs the list.

use crate::app::App;
use crate::chat::live::Event;
use crate::db::{blob_pending, Chunked, StoredPicture};
use crate::error::Result;
use crate::files::content;
use crate::pictures;
use crate::storage::Sql;
use crate::time;

#[derive(Default)]
pub struct Leftovers {
    pictures: Vec<StoredPicture>,
    contents: Vec<Chunked>,
    events: Vec<Event>,
}

impl Leftovers {
    /// Runs `write` in one transaction and, once it has committed, does what it left.
    pub async fn tx<T>(
        app: &App,
        write: impl FnOnce(&dyn Sql, &mut Leftovers) -> Result<T>,
    ) -> Result<T> {
        let mut after = Leftovers::default();
        let out = app.db.tx(|c| write(c, &mut after))?;
        after.settle(app).await;
        Ok(out)
    }

    /// A picture whose row is going; its blob is deleted after the commit.
    pub fn picture(&mut self, picture: Option<StoredPicture>) {
        self.pictures.extend(picture);
    }

    /// A chunked content whose row is going. It is marked pending in the same transaction, so a
    /// crash between the commit and the deletion leaves it to the sweep.
    pub fn content(&mut self, conn: &dyn Sql, content: Chunked) -> Result<()> {
        blob_pending::add(conn, &content.blob, time::now())?;
        self.contents.push(content);
        Ok(())
    }

    /// [`Self::content`] for each of `contents`.
    pub fn contents(&mut self, conn: &dyn Sql, contents: Vec<Chunked>) -> Result<()> {
        contents.into_iter().try_for_each(|c| self.content(conn, c))
    }

    /// An event to publish once the change is visible.
    pub fn event(&mut self, event: Event) {
        self.events.push(event);
    }

    /// Does it all; failures are logged, and pending blobs are retried by the sweep.
    pub async fn settle(self, app: &App) {
        let size = app.chunks.chunk_size();
        let blobs = self.contents.iter().map(|c| c.to_discard(size)).collect();
        content::discard_all(app, blobs).await;
        for picture in &self.pictures {
            pictures::discard(app, Some(picture), None).await;
        }
        for event in self.events {
            app.live.publish(event);
        }
    }
}
