import BotAPI
import Wire
import Foundation
import Testing
import Synchronization
@testable import ClusterRuntime

/// The broker's logic without sockets or clocks.
@Suite("BrokerState")
struct BrokerStateTests {
    static let ingest = PeerID("ingest")
    static let w1 = PeerID("w1")
    static let w2 = PeerID("w2")
    static let seq = PeerID("seq")

    /// Handler 0 for everything; serial when the text starts with "/serial"; unordered for "/free".
    static func makeState(_ configure: (inout BrokerState.Configuration) -> Void = { _ in }) -> BrokerState {
        var c = BrokerState.Configuration()
        configure(&c)
        return BrokerState(configuration: c) { e in
            let text = e.raw.text ?? ""
            return .init(handler: 0, serial: text.hasPrefix("/serial"), ordered: !text.hasPrefix("/free"))
        }
    }

    static func update(_ id: Int64, chat: Int64, text: String = "hi") -> UpdateEnvelope {
        let json = #"{"update_id":\#(id),"message":{"message_id":1,"date":1,"chat":{"id":\#(chat),"type":"private"},"text":"\#(text)"}}"#
        return UpdateEnvelope(updateID: id, kind: .message, routingKey: .chat(chat), bytes: Data(json.utf8))
    }

    static func jobs(_ actions: [BrokerState.Action], to peer: PeerID? = nil) -> [(peer: PeerID, job: Job)] {
        actions.compactMap {
            if case .send(let p, .job(let job)) = $0, peer == nil || p == peer { return (p, job) }
            return nil
        }
    }

    static func updateID(_ job: Job) -> Int64? {
        if case .update(_, let e) = job.payload { return e.updateID }
        return nil
    }

    /// `duration` passes with the broker awake, ticking as its loop does; every action.
    static func passTime(_ s: inout BrokerState, _ now: inout ContinuousClock.Instant, _ duration: Duration) -> [BrokerState.Action] {
        let end = now + duration
        var actions: [BrokerState.Action] = []
        while now < end {
            now += s.configuration.heartbeatInterval / 2
            actions += s.tick(now: now)
        }
        return actions
    }

    let t0 = ContinuousClock.now

    @Test func batch_isAcknowledged_andOneChatRunsOneAtATime() {
        var s = Self.makeState()
        _ = s.received(.ready(Ready(capacity: 10, role: .worker)), from: Self.w1, now: t0)
        let actions = s.updates(1, (1...3).map { Self.update($0, chat: 7) } + [Self.update(4, chat: 8)], from: Self.ingest, now: t0)
        #expect(actions.first == .answerIngest(peer: Self.ingest, .ack(batch: 1)))
        let sent = Self.jobs(actions)
        // Chat 7's first and chat 8's only update go out; 2 and 3 wait for 1.
        #expect(sent.compactMap { Self.updateID($0.job) }.sorted() == [1, 4])
        let next = s.received(.done(jobID: sent.first { Self.updateID($0.job) == 1 }!.job.id, outcome: .ok, output: Data()), from: Self.w1, now: t0)
        #expect(Self.jobs(next).compactMap { Self.updateID($0.job) } == [2])
    }

    @Test func credit_neverExceedsCapacity_andSpreadsOverWorkers() {
        var s = Self.makeState()
        _ = s.received(.ready(Ready(capacity: 2, role: .worker)), from: Self.w1, now: t0)
        _ = s.received(.ready(Ready(capacity: 2, role: .worker)), from: Self.w2, now: t0)
        let sent = Self.jobs(s.updates(1, (1...10).map { Self.update($0, chat: $0) }, from: Self.ingest, now: t0))
        #expect(sent.count == 4)
        #expect(sent.filter { $0.peer == Self.w1 }.count == 2)
        #expect(sent.filter { $0.peer == Self.w2 }.count == 2)
        #expect(s.queued == 6)
        // A waiting job lends its slot: one more job goes to that worker.
        #expect(Self.jobs(s.received(.lend, from: Self.w1, now: t0)).count == 1)
    }

    @Test func deadWorker_jobsGoToAnotherInOrder() {
        var s = Self.makeState { $0.heartbeatInterval = .seconds(1); $0.liveness = 3 }
        _ = s.received(.ready(Ready(capacity: 5, role: .worker)), from: Self.w1, now: t0)
        let first = Self.jobs(s.updates(1, (1...3).map { Self.update($0, chat: 7) }, from: Self.ingest, now: t0))
        #expect(first.map(\.peer) == [Self.w1])
        _ = s.received(.ready(Ready(capacity: 5, role: .worker)), from: Self.w2, now: t0 + .seconds(2))
        _ = s.received(.heartbeat, from: Self.w2, now: t0 + .seconds(4))
        // w1 has been silent for more than 3 intervals: its job goes to w2, first of its chat, attempt 2.
        let after = Self.jobs(s.tick(now: t0 + .milliseconds(4500)))
        #expect(after.count == 1)
        #expect(after[0].peer == Self.w2)
        #expect(Self.updateID(after[0].job) == 1)
        #expect(after[0].job.attempt == 2)
        #expect(s.counters.requeued == 1)
        // A late DONE from the dead worker is ignored (not double-completed).
        _ = s.received(.done(jobID: first[0].job.id, outcome: .ok, output: Data()), from: Self.w1, now: t0 + .seconds(5))
        #expect(s.counters.completed == 0)
    }

    @Test func brokerStall_isNotBlamedOnItsWorkers_butLaterSilenceIs() {
        var s = Self.makeState { $0.heartbeatInterval = .seconds(1); $0.liveness = 3 }
        _ = s.received(.ready(Ready(capacity: 5, role: .worker)), from: Self.w1, now: t0)
        _ = s.updates(1, [Self.update(1, chat: 7)], from: Self.ingest, now: t0)
        _ = s.tick(now: t0 + .milliseconds(500))
        // The broker itself ran nothing for 10 s: its next tick must not expire w1, whose
        // heartbeats wait unread in the socket.
        let afterStall = s.tick(now: t0 + .milliseconds(10_500))
        #expect(!afterStall.contains { if case .lost = $0 { return true }; return false })
        #expect(s.counters.requeued == 0)
        // Ticks on time again, and w1 stays silent for more than 3 intervals: now it is dead.
        var now = t0 + .milliseconds(10_500)
        var lost = false
        for _ in 0..<10 where !lost {
            now += .milliseconds(500)
            lost = s.tick(now: now).contains { if case .lost = $0 { return true }; return false }
        }
        #expect(lost && s.counters.requeued == 1)
        #expect(now - (t0 + .milliseconds(10_500)) <= .seconds(4))
    }

    @Test func poisonJob_isDeadLetteredAfterItsAttempts_andItsChatMovesOn() {
        var s = Self.makeState { $0.maxAttempts = 3 }
        var now = t0
        _ = s.updates(1, [Self.update(1, chat: 9, text: "poison"), Self.update(2, chat: 9)], from: Self.ingest, now: now)
        var letters: [BrokerState.DeadLetter] = []
        var nextAfterwards: [Int64] = []
        for i in 0..<3 {
            let peer = PeerID("w\(i)")
            let sent = Self.jobs(s.received(.ready(Ready(capacity: 1, role: .worker)), from: peer, now: now))
            #expect(sent.compactMap { Self.updateID($0.job) } == [1], "attempt \(i + 1)")
            // The worker dies with it: a new process says READY under a new identity; the old expires.
            let actions = Self.passTime(&s, &now, .seconds(10))
            for a in actions { if case .deadLetter(let l) = a { letters.append(l) } }
            nextAfterwards = Self.jobs(actions).compactMap { Self.updateID($0.job) }
        }
        #expect(letters.count == 1)
        #expect(letters.first.map { Self.updateID($0.job) } == 1)
        #expect(letters.first?.reason.contains("died 3 times") == true)
        #expect(s.counters.deadLettered == 1)
        _ = nextAfterwards
        let w = PeerID("survivor")
        #expect(Self.jobs(s.received(.ready(Ready(capacity: 1, role: .worker)), from: w, now: now)).compactMap { Self.updateID($0.job) } == [2])
    }

    @Test func duplicates_areAcknowledgedButNotRunAgain() {
        var s = Self.makeState()
        _ = s.updates(1, [Self.update(1, chat: 1), Self.update(2, chat: 2)], from: Self.ingest, now: t0)
        let again = s.updates(2, [Self.update(2, chat: 2), Self.update(3, chat: 3)], from: Self.ingest, now: t0)
        #expect(again.first == .answerIngest(peer: Self.ingest, .ack(batch: 2)))
        #expect(s.counters.duplicates == 1)
        #expect(s.counters.accepted == 3)
    }

    @Test func fullQueues_answerBusyAndKeepNothing() {
        var s = Self.makeState { $0.maxPending = 5 }
        _ = s.updates(1, (1...4).map { Self.update($0, chat: $0) }, from: Self.ingest, now: t0)
        let busy = s.updates(2, (5...6).map { Self.update($0, chat: $0) }, from: Self.ingest, now: t0)
        guard case .answerIngest(_, .busy(2, _))? = busy.first else { Issue.record("expected BUSY, got \(busy)"); return }
        #expect(s.pending == 4)
        // Resent later, the same updates are not mistaken for duplicates.
        let sent = Self.jobs(s.received(.ready(Ready(capacity: 10, role: .worker)), from: Self.w1, now: t0))
        #expect(sent.count == 4)
        for (_, job) in sent { _ = s.received(.done(jobID: job.id, outcome: .ok, output: Data()), from: Self.w1, now: t0) }
        let later = s.updates(2, (5...6).map { Self.update($0, chat: $0) }, from: Self.ingest, now: t0)
        #expect(later.first == .answerIngest(peer: Self.ingest, .ack(batch: 2)))
        #expect(s.counters.duplicates == 0)
    }

    @Test func serialUpdates_goToTheSequencerInOrder_upToItsCredit() {
        var s = Self.makeState()
        _ = s.received(.ready(Ready(capacity: 2, role: .sequencer)), from: Self.seq, now: t0)
        _ = s.received(.ready(Ready(capacity: 8, role: .worker)), from: Self.w1, now: t0)
        let actions = s.updates(1, [Self.update(1, chat: 1, text: "/serial a"), Self.update(2, chat: 2, text: "/serial b"),
                                    Self.update(3, chat: 3), Self.update(4, chat: 1, text: "/serial c")], from: Self.ingest, now: t0)
        let toSeq = Self.jobs(actions, to: Self.seq)
        #expect(toSeq.compactMap { Self.updateID($0.job) } == [1, 2])
        #expect(Self.jobs(actions, to: Self.w1).compactMap { Self.updateID($0.job) } == [3])
        let next = s.received(.done(jobID: toSeq[0].job.id, outcome: .ok, output: Data()), from: Self.seq, now: t0)
        #expect(Self.jobs(next, to: Self.seq).compactMap { Self.updateID($0.job) } == [4])
    }

    @Test func deadSequencer_itsJobsGoToTheNewOneFirst_inOrder_oneAtATime() {
        var s = Self.makeState()
        let seq2 = PeerID("seq2")
        _ = s.received(.ready(Ready(capacity: 8, role: .sequencer)), from: Self.seq, now: t0)
        let first = Self.jobs(s.updates(1, (1...3).map { Self.update($0, chat: $0, text: "/serial") }, from: Self.ingest, now: t0))
        #expect(first.count == 3)
        _ = s.updates(2, [Self.update(4, chat: 4, text: "/serial")], from: Self.ingest, now: t0)
        // A new sequencer replaces the old one at once (one store, one writer).
        var sent = Self.jobs(s.received(.ready(Ready(capacity: 8, role: .sequencer)), from: seq2, now: t0))
        var order: [Int64] = []
        while let (_, job) = sent.first {
            #expect(sent.count == 1, "a requeued serial job runs alone")
            order.append(Self.updateID(job)!)
            sent = Self.jobs(s.received(.done(jobID: job.id, outcome: .ok, output: Data()), from: seq2, now: t0))
            if order.count == 3 { break }
        }
        #expect(order == [1, 2, 3])
        #expect(sent.compactMap { Self.updateID($0.job) } == [4])
    }

    @Test func outboxJobs_runInEmissionOrderPerKey_onceWhileHeld_andAreReportedBack() {
        var s = Self.makeState()
        _ = s.received(.ready(Ready(capacity: 8, role: .sequencer)), from: Self.seq, now: t0)
        _ = s.received(.ready(Ready(capacity: 8, role: .worker)), from: Self.w1, now: t0)
        func emit(_ id: UInt64, from peer: PeerID = Self.seq) -> [BrokerState.Action] {
            s.received(.emit(Emission(outboxID: id, key: .chat(5), action: .job(name: "n", input: Data("\(id)".utf8)))), from: peer, now: t0)
        }
        let a = Self.jobs(emit(1))
        #expect(a.count == 1 && a[0].job.payload == .outbox(id: 1, .job(name: "n", input: Data("1".utf8))))
        #expect(Self.jobs(emit(2)).isEmpty, "chat 5 has a job in flight")
        // A restarted sequencer sends both again: nothing runs twice; the new one gets the answers.
        let seq2 = PeerID("seq2")
        _ = s.received(.ready(Ready(capacity: 8, role: .sequencer)), from: seq2, now: t0)
        #expect(Self.jobs(emit(1, from: seq2)).isEmpty)
        #expect(Self.jobs(emit(2, from: seq2)).isEmpty)
        let done = s.received(.done(jobID: a[0].job.id, outcome: .ok, output: Data()), from: Self.w1, now: t0)
        #expect(done.contains(.send(peer: seq2, .emitted(outboxID: 1, outcome: .ok, output: Data()))))
        let b = Self.jobs(done)
        #expect(b.count == 1 && b[0].job.payload == .outbox(id: 2, .job(name: "n", input: Data("2".utf8))))
        // Finished recently: sent again, it is answered at once and not run.
        #expect(emit(1, from: seq2) == [.send(peer: seq2, .emitted(outboxID: 1, outcome: .ok, output: Data()))])
    }

    @Test func namedJobs_returnTheirResultToTheSubmitter() {
        var s = Self.makeState()
        _ = s.received(.ready(Ready(capacity: 1, role: .worker)), from: Self.w1, now: t0)
        _ = s.received(.ready(Ready(capacity: 1, role: .sequencer)), from: Self.w2, now: t0)
        let sent = Self.jobs(s.received(.submit(taskID: 42, name: "child", input: Data("x".utf8)), from: Self.w2, now: t0))
        #expect(sent.count == 1 && sent[0].job.payload == .task(name: "child", input: Data("x".utf8)))
        let done = s.received(.done(jobID: sent[0].job.id, outcome: .ok, output: Data("y".utf8)), from: Self.w1, now: t0)
        #expect(done.contains(.send(peer: Self.w2, .result(taskID: 42, outcome: .ok, output: Data("y".utf8)))))
    }

    @Test func aPeerWithAnotherHandlerTable_isRefused_andGetsNoWork() {
        var s = Self.makeState { $0.fingerprint = 0xAAAA; $0.program = "echobot" }
        let refused = s.received(.ready(Ready(capacity: 8, role: .worker, fingerprint: 0xBBBB, program: "bankbot")), from: Self.w1, now: t0)
        guard case .send(Self.w1, .refuse(let reason))? = refused.first else {
            Issue.record("expected REFUSE, got \(refused)")
            return
        }
        #expect(reason.contains("bankbot") && reason.contains("echobot"))
        #expect(reason.contains("000000000000bbbb") && reason.contains("000000000000aaaa"))
        #expect(refused.contains(.refused(peer: Self.w1, reason: reason)))
        #expect(s.peerCount == 0)
        // It gets nothing: an update waits for a worker that runs this bot.
        #expect(Self.jobs(s.updates(1, [Self.update(1, chat: 7)], from: Self.ingest, now: t0)).isEmpty)
        let same = Self.jobs(s.received(.ready(Ready(capacity: 8, role: .worker, fingerprint: 0xAAAA, program: "echobot")), from: Self.w2, now: t0))
        #expect(same.map(\.peer) == [Self.w2])
    }

    @Test func jobQueueChanges_goToTheSequencerInOrder_andAnswerTheSubmitter() {
        var s = Self.makeState()
        _ = s.received(.ready(Ready(capacity: 4, role: .worker)), from: Self.w1, now: t0)
        #expect(Self.jobs(s.received(.schedule(taskID: 9, change: Data("{}".utf8)), from: Self.w1, now: t0)).isEmpty,
                "no sequencer yet: a change waits for it, never runs in the pool")
        let sent = Self.jobs(s.received(.ready(Ready(capacity: 4, role: .sequencer)), from: Self.seq, now: t0))
        #expect(sent.count == 1 && sent[0].peer == Self.seq && sent[0].job.payload == .schedule(Data("{}".utf8)))
        let done = s.received(.done(jobID: sent[0].job.id, outcome: .ok, output: Data("[1]".utf8)), from: Self.seq, now: t0)
        #expect(done.contains(.send(peer: Self.w1, .result(taskID: 9, outcome: .ok, output: Data("[1]".utf8)))))
    }

    @Test func readyAgainFromAKnownPeer_keepsItsJobs_noRequeue() {
        var s = Self.makeState()
        _ = s.received(.ready(Ready(capacity: 4, role: .worker)), from: Self.w1, now: t0)
        let sent = Self.jobs(s.updates(1, [Self.update(1, chat: 1)], from: Self.ingest, now: t0))
        #expect(sent.count == 1)
        // A burst of READYs (each answer to a broker that forgot it): nothing requeued, nothing doubled.
        for _ in 0..<5 { #expect(Self.jobs(s.received(.ready(Ready(capacity: 4, role: .worker)), from: Self.w1, now: t0)).isEmpty) }
        #expect(s.counters.requeued == 0 && s.inFlight == 1)
        _ = s.received(.done(jobID: sent[0].job.id, outcome: .ok, output: Data()), from: Self.w1, now: t0)
        #expect(s.counters.completed == 1)
    }

    @Test func unknownPeer_isAskedToSayReadyAgain() {
        var s = Self.makeState()
        #expect(s.received(.heartbeat, from: Self.w1, now: t0) == [.send(peer: Self.w1, .disconnect)])
    }

    /// A draining worker leaves once its DISCONNECT is answered; the answer follows the jobs
    /// the broker gave it before reading the DISCONNECT, and nothing follows the answer.
    @Test func disconnect_isAnswered_afterTheJobsAlreadyGiven_andNothingMoreGoesToThePeer() {
        var s = Self.makeState()
        _ = s.received(.ready(Ready(capacity: 4, role: .worker)), from: Self.w1, now: t0)
        let given = Self.jobs(s.updates(1, [Self.update(1, chat: 1)], from: Self.ingest, now: t0))
        #expect(given.count == 1)
        #expect(s.received(.disconnect, from: Self.w1, now: t0) == [.send(peer: Self.w1, .disconnect)])
        #expect(Self.jobs(s.updates(2, [Self.update(2, chat: 2)], from: Self.ingest, now: t0)).isEmpty, "a draining worker gets no job")
        // Its last DONE removes it; a DISCONNECT from a peer the broker no longer knows is answered too.
        _ = s.received(.done(jobID: given[0].job.id, outcome: .ok, output: Data()), from: Self.w1, now: t0)
        #expect(s.received(.disconnect, from: Self.w1, now: t0) == [.send(peer: Self.w1, .disconnect)])
    }
}

extension BrokerStateTests {
    @Test func workerDeath_quarantinesItsJobs_soInnocentOnesFinishAndOnlyThePoisonIsDeadLettered() {
        var s = Self.makeState { $0.maxAttempts = 3 }
        var now = t0
        // Poison (chat 1) and an innocent (chat 2) share the first worker.
        var sent = Self.jobs(s.received(.ready(Ready(capacity: 4, role: .worker)), from: PeerID("a"), now: now))
        sent = Self.jobs(s.updates(1, [Self.update(1, chat: 1), Self.update(2, chat: 2)], from: Self.ingest, now: now))
        #expect(sent.count == 2)
        _ = Self.passTime(&s, &now, .seconds(10))  // "a" died with both
        // A new worker gets them one at a time: each alone on it.
        let b = PeerID("b")
        let first = Self.jobs(s.received(.ready(Ready(capacity: 4, role: .worker)), from: b, now: now))
        #expect(first.count == 1, "a quarantined job runs alone")
        var innocentDone = false
        var letters = 0
        var current = first
        var worker = b
        for round in 0..<6 where !current.isEmpty {
            let job = current[0].job
            if Self.updateID(job) == 2 {
                innocentDone = true
                current = Self.jobs(s.received(.done(jobID: job.id, outcome: .ok, output: Data()), from: worker, now: now))
                continue
            }
            // The poison kills this worker too.
            let actions = Self.passTime(&s, &now, .seconds(10))
            letters += actions.filter { if case .deadLetter = $0 { return true } else { return false } }.count
            worker = PeerID("w\(round)")
            current = Self.jobs(s.received(.ready(Ready(capacity: 4, role: .worker)), from: worker, now: now))
        }
        #expect(innocentDone)
        #expect(letters == 1)
        #expect(s.counters.deadLettered == 1)
        #expect(s.counters.completed == 1)
    }

    @Test func quarantinedJob_doesNotStarveUnderLoad() {
        var s = Self.makeState()
        var now = t0
        let a = PeerID("a"), b = PeerID("b")
        _ = s.received(.ready(Ready(capacity: 2, role: .worker)), from: a, now: now)
        _ = s.received(.ready(Ready(capacity: 2, role: .worker)), from: b, now: now)
        let sent = Self.jobs(s.updates(1, (1...4).map { Self.update($0, chat: $0) }, from: Self.ingest, now: now))
        // b dies with two jobs; they are quarantined; a keeps receiving other work meanwhile.
        _ = s.received(.heartbeat, from: a, now: now + .seconds(2))
        now += .seconds(4)
        _ = s.received(.heartbeat, from: a, now: now)
        _ = s.tick(now: now)
        #expect(s.counters.requeued == 2, "b expired")
        _ = s.updates(2, (10...20).map { Self.update($0, chat: $0) }, from: Self.ingest, now: now)
        // a finishes its jobs: being reserved, it gets a quarantined one next, alone.
        var next: [(peer: PeerID, job: Job)] = []
        for (p, job) in sent where p == a {
            next += Self.jobs(s.received(.done(jobID: job.id, outcome: .ok, output: Data()), from: a, now: now))
        }
        #expect(next.count == 1)
        #expect(next.first.map { Self.updateID($0.job)! <= 4 } == true, "the quarantined job went first: \(next.map { Self.updateID($0.job) })")
    }

    /// Routing scans an update's JSON: the routes `fresh` found for the journal serve the
    /// `updates` call of the same batch (each update was routed twice); a batch `updates` is
    /// given without `fresh` (or after a `fresh` of another batch) is still routed.
    @Test func eachUpdate_isRoutedOnce_betweenFreshAndUpdates() {
        let routed = Mutex(0)
        var s = BrokerState(configuration: .init()) { _ in
            routed.withLock { $0 += 1 }
            return .init(handler: 0, serial: false, ordered: true)
        }
        _ = s.received(.ready(Ready(capacity: 100, role: .worker)), from: Self.w1, now: t0)
        let batch = (1...10).map { Self.update($0, chat: 100 + $0) }
        #expect(s.fresh(batch).count == 10)
        let actions = s.updates(1, batch, from: Self.ingest, now: t0)
        #expect(Self.jobs(actions).count == 10)
        #expect(routed.withLock { $0 } == 10, "routed \(routed.withLock { $0 }) times for 10 updates")
        let other = (11...12).map { Self.update($0, chat: 40 + $0) }
        _ = s.fresh([Self.update(20, chat: 1)])
        #expect(Self.jobs(s.updates(2, other, from: Self.ingest, now: t0)).count == 2)
        #expect(routed.withLock { $0 } == 13)
    }

    /// An update the journal could not read back is dead-lettered at intake, not journaled
    /// (a record over 4 MiB reads as damage: it would be lost at the next recovery).
    @Test func anUpdateTooLargeForTheJournal_isDeadLettered_notJournaled() {
        var s = Self.makeState { $0.maxUpdateBytes = 300 }
        _ = s.received(.ready(Ready(capacity: 10, role: .worker)), from: Self.w1, now: t0)
        let big = Self.update(2, chat: 7, text: String(repeating: "x", count: 400))
        #expect(s.fresh([Self.update(1, chat: 7), big]).map(\.updateID) == [1], "only the small one is journaled")
        let actions = s.updates(1, [Self.update(1, chat: 7), big], from: Self.ingest, now: t0)
        #expect(actions.first == .answerIngest(peer: Self.ingest, .ack(batch: 1)))
        let letters = actions.compactMap { if case .deadLetter(let d) = $0 { return d }; return nil }
        #expect(letters.count == 1 && letters[0].reason.contains("more than the journal holds"))
        #expect(Self.jobs(actions).map { Self.updateID($0.job) } == [1])
        #expect(s.updates(2, [big], from: Self.ingest, now: t0).count == 1, "sent again: a duplicate, ACK only")
        #expect(JournalRecord.maxLength - BrokerState.Configuration().maxUpdateBytes >= 300, "room for the record's own fields")
    }
}
