//! The jobs this process is handling, by id.
//!
//! The same job can be delivered twice at once: its first message and a
//! replay, a sweep's republish, or a redelivery, all prefetched by the same
//! worker. Run side by side, both copies would pass `jobs::start` and the
//! job would run twice (harmless for the stored effects, which are
//! idempotent, but two attempts and twice the work). A second copy instead
//! waits here for the first to finish, then finds the job finished and is
//! acknowledged as a duplicate. (Across workers the idempotent effects are
//! what keeps a duplicate harmless.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};
use uuid::Uuid;

/// One lock per job id in hand; entries live while someone holds or waits.
#[derive(Default)]
pub struct InHand {
    jobs: Mutex<HashMap<Uuid, Arc<AsyncMutex<()>>>>,
}

/// Held while a copy of the job runs.
pub struct Turn<'a> {
    owner: &'a InHand,
    id: Uuid,
    guard: Option<OwnedMutexGuard<()>>,
}

impl InHand {
    /// Waits until no other copy of job `id` is being handled here.
    pub async fn enter(&self, id: Uuid) -> Turn<'_> {
        let lock = {
            let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
            jobs.entry(id).or_default().clone()
        };
        Turn {
            owner: self,
            id,
            guard: Some(lock.lock_owned().await),
        }
    }

    /// Jobs held or waited for (for tests).
    pub fn len(&self) -> usize {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// True when no job is in hand.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut jobs = self.owner.jobs.lock().unwrap_or_else(|e| e.into_inner());
        self.guard.take();
        // Only the map's own reference left: nobody holds or waits.
        if jobs
            .get(&self.id)
            .is_some_and(|l| Arc::strong_count(l) == 1)
        {
            jobs.remove(&self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_second_copy_waits_for_the_first_and_the_map_empties() {
        let in_hand = Arc::new(InHand::default());
        let id = Uuid::now_v7();
        let first = in_hand.enter(id).await;
        let waiting = tokio::spawn({
            let in_hand = in_hand.clone();
            async move {
                let _turn = in_hand.enter(id).await;
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "the second copy waits");
        // Another job is not held up.
        drop(in_hand.enter(Uuid::now_v7()).await);
        drop(first);
        waiting.await.unwrap();
        assert!(in_hand.is_empty());
    }
}
