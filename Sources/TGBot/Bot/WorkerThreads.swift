extension Bot {
    /// Which thread of a worker process runs the bot's concurrent handlers and named jobs
    /// (`Bot.workerThreads`). The serial handlers run in the sequencer either way.
    public enum WorkerThreads: Sendable, Equatable {
        /// Swift's shared pool (one thread per core): the default. A handler may compute or block
        /// for a while (up to `--deadline`) while the worker's own thread keeps its heartbeats
        /// going and reads the other handlers' jobs.
        case pool
        /// The worker's event-loop thread, the one that reads its jobs and, for a Bot API server
        /// at an `http://` IP address, the Bot API's answers: a job, its reply's answer and its
        /// DONE are handled where they arrive, with no thread handed the work (echobot, 4 workers,
        /// 0 ms: ~0.8× the CPU per update of `.pool`). For handlers that await and compute little,
        /// as under asyncio: one that holds the thread longer than the heartbeat's liveness
        /// (`--heartbeat` × 4, 2 s by default) stops the worker's heartbeats, and the broker takes
        /// the worker for dead (it is killed, and its jobs go to another).
        case eventLoop
    }
}
