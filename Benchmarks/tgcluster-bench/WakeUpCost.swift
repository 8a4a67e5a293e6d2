import BotAPI
import Foundation

/// What one wake-up costs on this machine: two threads hand a byte back and forth over pipes,
/// a hand-over every few milliseconds (so each finds the other asleep and the cores idle, as
/// at light load), nothing else done. Their CPU (each thread's own, `RUSAGE_THREAD`) divided by
/// the times they slept and were woken (their voluntary context switches).
///
/// The light-load target asks the cluster for a third of the raw loop's CPU per update; the
/// cluster hands each update from process to process and thread to thread, and this figure
/// times its count of wake-ups says what that floor is before any of its own work.
enum WakeUpCost {
    struct Reading {
        var microsPerWakeUp: Double
        var wakeUps: Int
    }

    static func measure(handOvers: Int = 400, gap: Duration = .milliseconds(4)) -> Reading {
        var ping: [Int32] = [0, 0], pong: [Int32] = [0, 0]
        guard pipe(&ping) == 0, pipe(&pong) == 0 else { return Reading(microsPerWakeUp: 0, wakeUps: 0) }
        defer { for fd in [ping[0], pong[0], pong[1]] { close(fd) } }
        let echoed = Usage.Box()
        let echo = Thread { [ping, pong] in
            var byte: UInt8 = 0
            let start = Usage.now()
            for _ in 0..<handOvers {
                guard read(ping[0], &byte, 1) == 1, write(pong[1], &byte, 1) == 1 else { break }
            }
            echoed.set(Usage.now() - start)
        }
        echo.start()
        var byte: UInt8 = 0
        let start = Usage.now()
        for _ in 0..<handOvers {
            Thread.sleep(forTimeInterval: gap.seconds)
            guard write(ping[1], &byte, 1) == 1, read(pong[0], &byte, 1) == 1 else { break }
        }
        let own = Usage.now() - start
        // The echo thread's read ends here even if a hand-over failed above (end of file).
        close(ping[1])
        let other = echoed.wait()
        let wakeUps = own.wakeUps + other.wakeUps
        return Reading(microsPerWakeUp: wakeUps > 0 ? (own.micros + other.micros) / Double(wakeUps) : 0, wakeUps: wakeUps)
    }

    /// A thread's CPU and voluntary context switches so far.
    struct Usage {
        var micros: Double
        var wakeUps: Int

        static func now() -> Usage {
            var r = rusage()
            getrusage(__rusage_who_t(1), &r)  // RUSAGE_THREAD (a GNU name Glibc's module leaves out)
            let micros = Double(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e6 + Double(r.ru_utime.tv_usec + r.ru_stime.tv_usec)
            return Usage(micros: micros, wakeUps: r.ru_nvcsw)
        }

        static func - (a: Usage, b: Usage) -> Usage {
            Usage(micros: a.micros - b.micros, wakeUps: a.wakeUps - b.wakeUps)
        }

        /// The echo thread's reading, handed to the measuring thread once.
        final class Box: @unchecked Sendable {
            private var value: Usage?
            private let ready = DispatchSemaphore(value: 0)
            func set(_ usage: Usage) { value = usage; ready.signal() }
            func wait() -> Usage { ready.wait(); return value ?? Usage(micros: 0, wakeUps: 0) }
        }
    }
}
