//! Work on the machine's cores, results in the input's order.
//!
//! `caqes evaluate` scores and serialises thousands of establishments, each on its own:
//! that work is spread over the cores, while the output must stay in the order of
//! `etablissements.csv` and memory must hold only a few establishments' results at a time
//! (a national file writes ~21 MB of JSON).

use std::sync::mpsc::{Receiver, sync_channel};

/// At most this many threads: beyond, the single writer is the bottleneck.
const MAX_WORKERS: usize = 4;
/// Chunks queued per worker before it waits for the writer.
const QUEUED_PER_WORKER: usize = 2;

/// Applies `map` to `items` cut in chunks of `chunk_len`, on up to [`MAX_WORKERS`] threads
/// (one per core), and hands each chunk's result to `consume` on the calling thread, in the
/// chunks' order. `map` receives the position of the chunk's first item in `items`.
///
/// Worker `w` takes chunks `w`, `w + n`, `w + 2n`… and queues at most
/// [`QUEUED_PER_WORKER`] results, so memory is bounded whatever the speed of `consume`.
/// The first error (of `map`, in order, or of `consume`) stops the run: the workers see
/// their queue closed and stop too.
pub fn map_in_order<T, R, E>(
    items: &[T],
    chunk_len: usize,
    map: impl Fn(usize, &[T]) -> Result<R, E> + Sync,
    mut consume: impl FnMut(R) -> Result<(), E>,
) -> Result<(), E>
where
    T: Sync,
    R: Send,
    E: Send,
{
    let chunk_len = chunk_len.max(1);
    let chunks: Vec<(usize, &[T])> = items
        .chunks(chunk_len)
        .enumerate()
        .map(|(i, c)| (i * chunk_len, c))
        .collect();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_WORKERS)
        .min(chunks.len());
    if workers <= 1 {
        for (start, chunk) in chunks {
            consume(map(start, chunk)?)?;
        }
        return Ok(());
    }
    std::thread::scope(|scope| {
        let (map, chunks) = (&map, &chunks);
        let queues: Vec<Receiver<Result<R, E>>> = (0..workers)
            .map(|w| {
                let (queue, results) = sync_channel(QUEUED_PER_WORKER);
                scope.spawn(move || {
                    for &(start, chunk) in chunks.iter().skip(w).step_by(workers) {
                        let result = map(start, chunk);
                        let failed = result.is_err();
                        // A closed queue: the writer stopped on an error; so do we.
                        if queue.send(result).is_err() || failed {
                            break;
                        }
                    }
                });
                results
            })
            .collect();
        for i in 0..chunks.len() {
            match queues[i % workers].recv() {
                Ok(result) => consume(result?)?,
                // The worker ended without sending: it panicked, and the scope's end
                // re-raises that panic.
                Err(_) => break,
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_the_items_order() {
        let items: Vec<u32> = (0..1000).collect();
        let mut seen = Vec::new();
        map_in_order(
            &items,
            7,
            |start, chunk| {
                // Later chunks finish first on some threads: order must not depend on it.
                if start % 2 == 0 {
                    std::thread::sleep(std::time::Duration::from_micros(50));
                }
                Ok::<_, ()>((start, chunk.iter().map(|x| x * 2).collect::<Vec<_>>()))
            },
            |(start, doubled)| {
                assert_eq!(start, seen.len());
                seen.extend(doubled);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen, items.iter().map(|x| x * 2).collect::<Vec<_>>());
    }

    #[test]
    fn the_first_error_in_order_is_returned_and_stops_the_run() {
        let items: Vec<u32> = (0..100).collect();
        let mut consumed = 0;
        let r = map_in_order(
            &items,
            10,
            |start, _| if start >= 30 { Err(start) } else { Ok(start) },
            |_| {
                consumed += 1;
                Ok(())
            },
        );
        assert_eq!(r, Err(30));
        assert_eq!(consumed, 3);
    }

    #[test]
    fn an_error_of_the_consumer_stops_the_workers() {
        let items: Vec<u32> = (0..10_000).collect();
        let r = map_in_order(
            &items,
            1,
            |start, _| Ok(start),
            |start| {
                if start == 5 { Err("plein") } else { Ok(()) }
            },
        );
        assert_eq!(r, Err("plein"));
    }

    #[test]
    fn no_items_no_call() {
        let r = map_in_order(&[] as &[u8], 10, |_, _| Err(()), |_: ()| Err(()));
        assert_eq!(r, Ok(()));
    }
}
