import Foundation
import Locking
import Synchronization
import Testing
@testable import ClusterRuntime

/// A worker's jobs run on tasks that are kept, not on a new task each.
@Suite("ReusedTasks")
struct ReusedTasksTests {
    /// Items that wait for a gate to open; counts what ran.
    final class Probe: Sendable {
        let ran = Mutex<[Int]>([])
        let running = Atomic(0)
        let open = Atomic(false)

        func run(_ item: Int) async {
            running.add(1, ordering: .relaxed)
            let until = ContinuousClock.now + .seconds(30)  // a stuck-guard, not a measure
            while !open.load(ordering: .acquiring), ContinuousClock.now < until {
                try? await Task.sleep(for: .milliseconds(2))
            }
            running.subtract(1, ordering: .relaxed)
            ran.locked { $0.append(item) }
        }

        func waitUntil(_ condition: () -> Bool) async {
            let until = ContinuousClock.now + .seconds(30)
            while !condition(), ContinuousClock.now < until { try? await Task.sleep(for: .milliseconds(2)) }
        }
    }

    /// Two waves of 40 items that all run at once: the second runs on the first wave's tasks.
    /// With a task per item (tried: `next` ending a task after its first item) 80 are started.
    @Test func aSecondWave_runsOnTheFirstWavesTasks_everyItemOnce() async {
        let probe = Probe()
        let tasks = ReusedTasks<Int> { await probe.run($0) }
        for wave in 0..<2 {
            probe.open.store(false, ordering: .releasing)
            for i in 0..<40 { tasks.submit(wave * 40 + i) }
            await probe.waitUntil { probe.running.load(ordering: .relaxed) == 40 }
            #expect(probe.running.load(ordering: .relaxed) == 40, "all of a wave run at once")
            probe.open.store(true, ordering: .releasing)
            await probe.waitUntil { probe.ran.locked { $0.count } == (wave + 1) * 40 }
            await probe.waitUntil { probe.running.load(ordering: .relaxed) == 0 }
        }
        #expect(probe.ran.locked { $0.sorted() } == Array(0..<80))
        #expect(tasks.started == 40, "tasks started: \(tasks.started)")
        tasks.close()
    }

    /// A drain waits for `inFlight`: it counts an item from its `submit`, before any task has
    /// taken it, until it finished. (Counting only started items let draining workers exit with
    /// jobs received and not yet started; their replies went out twice: the scaling test.)
    @Test func inFlight_countsAnItemFromItsSubmitUntilItFinished() async {
        let probe = Probe()
        let tasks = ReusedTasks<Int> { await probe.run($0) }
        for i in 0..<5 { tasks.submit(i) }
        #expect(tasks.inFlight == 5, "counted at once, started or not")
        probe.open.store(true, ordering: .releasing)
        await probe.waitUntil { tasks.inFlight == 0 }
        #expect(probe.ran.locked { $0.count } == 5)
        #expect(tasks.inFlight == 0)
        tasks.close()
    }

    /// After `close`, nothing more runs and no task starts.
    @Test func afterClose_nothingRuns() async {
        let probe = Probe()
        probe.open.store(true, ordering: .releasing)
        let tasks = ReusedTasks<Int> { await probe.run($0) }
        tasks.submit(1)
        await probe.waitUntil { probe.ran.locked { $0.count } == 1 }
        tasks.close()
        tasks.submit(2)
        try? await Task.sleep(for: .milliseconds(100))
        #expect(probe.ran.locked { $0 } == [1])
        #expect(tasks.started == 1)
    }
}
