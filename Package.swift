// swift-tools-version:6.0
//
// tgcluster: a Telegram bot runtime that runs one bot as a cluster of processes.
// Layout follows ../shared/DESIGN.md: C libraries sit in tiny system-library targets,
// exactly one Swift module imports each of them, roles are libraries, executables are thin.
import PackageDescription

/// Release builds of the modules on the hot path skip Swift's run-time exclusivity checks (issue 13: they were
/// ~7% of the broker's instructions, mostly inside `Data`'s inlined code). Debug builds, which every test and
/// the sanitizers run, keep them, so an overlapping access is still caught where the tests can see it. The
/// compile-time checks stay in both.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "tgcluster",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "BotAPI", targets: ["BotAPI"]),
        .library(name: "Bus", targets: ["Bus"]),
        .library(name: "Wire", targets: ["Wire"]),
        .library(name: "Sim", targets: ["Sim"]),
        .library(name: "TGCluster", targets: ["TGCluster"]),
        .library(name: "TGClusterTesting", targets: ["TGClusterTesting"]),
        .executable(name: "tgcluster", targets: ["tgcluster"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // `scripts/docs`: the handler API's DocC catalog (a plugin only; nothing links it).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // System libraries from Debian: module map + pkg-config, nothing else.
        .systemLibrary(
            name: "CZeroMQ",
            pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // The heap allocator of every process (`Allocator`: why, and what it measured).
        .systemLibrary(
            name: "CMimalloc",
            providers: [.apt(["libmimalloc-dev"])]
        ),
        // Intel's storage library: the journal's CRC-32 with the CPU's carry-less multiply
        // (`CRC32`: why, and what it measured).
        .systemLibrary(
            name: "CISAL",
            pkgConfig: "libisal",
            providers: [.apt(["libisal-dev"])]
        ),
        // Typed wrappers for libcurl's variadic and macro-only API (Swift cannot call them).
        .target(
            name: "CCurlShims",
            dependencies: ["CCurl"]
        ),

        // glibc's spawn extensions hidden behind _GNU_SOURCE (close inherited descriptors).
        .target(name: "CSpawnShims"),
        // epoll and eventfd, which the Glibc module leaves out (libcurl's multi_socket loop).
        .target(name: "CEpollShims"),
        // ThreadSanitizer's acquire/release annotations, weak (null outside a TSan build).
        .target(name: "CTSanShims"),
        // `Mutex.locked`: the standard Mutex with its critical sections visible to TSan; `Thread.named`:
        // threads the operating system shows by name.
        .target(
            name: "Locking",
            dependencies: ["CTSanShims"],
            swiftSettings: hotPath
        ),

        // Telegram types (generated), the update scanner and the libcurl client.
        .target(
            name: "BotAPI",
            dependencies: [
                "Locking",
                "CCurl",
                "CCurlShims",
                "CEpollShims",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: hotPath
        ),
        // ZeroMQ only: context, sockets, the I/O thread. Knows no Telegram and no cluster protocol.
        .target(
            name: "Bus",
            dependencies: [
                "Locking",
                "CZeroMQ",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: hotPath
        ),
        // The cluster protocol: frames, typed commands, update envelopes, the byte codec
        // (docs/PROTOCOL.md). The journal reuses its codec.
        .target(
            name: "Wire",
            dependencies: ["BotAPI"],
            swiftSettings: hotPath
        ),

        // The handler API: what a bot author writes against (Bot, contexts, shared state,
        // conversations, the JobQueue, triggers). Knows no role, no socket, no runtime table: it
        // reaches the runtime through one protocol of effects (`HandlerEffects`).
        .target(
            name: "TGBot",
            dependencies: [
                "Locking",
                "BotAPI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: hotPath
        ),
        // The roles (ingest, broker, sequencer, worker, supervisor), the journal and the flood
        // gate: each a state machine and a thin I/O shell. Internals are `package`, not public.
        .target(
            name: "ClusterRuntime",
            dependencies: [
                "Locking",
                "BotAPI",
                "TGBot",
                "Bus",
                "Wire",
                "CSpawnShims",
                "CMimalloc",
                "CISAL",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: hotPath
        ),
        // What a bot imports: the handler API and the Bot API types re-exported, and `Cluster.main`.
        .target(
            name: "TGCluster",
            dependencies: [
                "BotAPI",
                "TGBot",
                "ClusterRuntime",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .executableTarget(
            name: "echobot",
            dependencies: ["TGCluster"],
            path: "Examples/EchoBot"
        ),
        .executableTarget(
            name: "timerbot",
            dependencies: ["TGCluster"],
            path: "Examples/TimerBot"
        ),
        // The bank's handlers, a library so that its tests build the same bot (the layout the
        // README recommends); `bankbot` is the two-line executable around it.
        .target(
            name: "Bank",
            dependencies: ["TGCluster"],
            path: "Examples/Bank"
        ),
        .executableTarget(
            name: "bankbot",
            dependencies: ["Bank", "TGCluster"],
            path: "Examples/BankBot"
        ),
        .testTarget(
            name: "BankTests",
            dependencies: ["Bank", "TGCluster", "TGClusterTesting"],
            path: "Examples/BankTests"
        ),
        // python-telegram-bot's examples, ported (issue 16): the bots in a library, an executable
        // each (named as the original), and golden tests of their transcripts.
        .target(
            name: "PTBExamples",
            dependencies: ["TGCluster"],
            path: "Examples/PTB/Bots"
        ),
        .executableTarget(name: "conversationbot", dependencies: ["PTBExamples", "TGCluster"], path: "Examples/PTB/conversationbot"),
        .executableTarget(name: "inlinekeyboard", dependencies: ["PTBExamples", "TGCluster"], path: "Examples/PTB/inlinekeyboard"),
        .executableTarget(name: "inlinebot", dependencies: ["PTBExamples", "TGCluster"], path: "Examples/PTB/inlinebot"),
        .executableTarget(name: "persistentconversationbot", dependencies: ["PTBExamples", "TGCluster"],
                          path: "Examples/PTB/persistentconversationbot"),
        .testTarget(
            name: "PTBExamplesTests",
            dependencies: ["PTBExamples", "TGCluster", "TGClusterTesting"],
            path: "Examples/PTB/Tests",
            exclude: ["Golden"]
        ),
        .executableTarget(
            name: "tgcluster-testbot",
            dependencies: ["TGCluster", "Locking"],
            path: "Tests/ClusterTestBot"
        ),
        // The Bot API emulator (`tgcluster sim`).
        .target(
            name: "Sim",
            dependencies: [
                "Locking",
                "BotAPI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Helpers for tests, tgcluster's own and its users': the handler tester (a bot's handlers
        // in the test process), the cluster harness (`withCluster`), a sim to start, a stub server.
        .target(
            name: "TGClusterTesting",
            dependencies: [
                "Locking",
                "BotAPI",
                "Sim",
                "TGBot",
                "Wire",
                "ClusterRuntime",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),

        .executableTarget(
            name: "tgcluster",
            dependencies: [
                "BotAPI",
                "Bus",
                "Sim",
                "TGBot",
                "ClusterRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "tgcluster-bench",
            dependencies: ["BotAPI", "Bus", "Wire", "TGBot", "ClusterRuntime", "Sim", "TGClusterTesting",
                           .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/tgcluster-bench"
        ),
        // The sequencer benchmark's bot: the smallest serial handlers.
        .executableTarget(
            name: "counterbot",
            dependencies: ["TGCluster"],
            path: "Benchmarks/CounterBot"
        ),

        // libFuzzer's driver, declared (the instrumented build links libFuzzer itself).
        .target(name: "CFuzzerShims"),
        // The fuzzed parsers (issue 17): every place bytes from outside become values, as targets
        // that libFuzzer drives (`scripts/fuzz`, an instrumented build) and the tests replay.
        .target(
            name: "FuzzTargets",
            dependencies: ["BotAPI", "Wire", "TGBot", "ClusterRuntime", "Sim"],
            path: "Fuzz/FuzzTargets"
        ),
        .executableTarget(
            name: "tgcluster-fuzz",
            dependencies: ["FuzzTargets", "CFuzzerShims", "BotAPI", "Wire", "ClusterRuntime", "Sim"],
            path: "Fuzz/tgcluster-fuzz"
        ),
        // Every Swift block of the README, the DocC articles and the doc comments, compiled
        // (issue 16): written by scripts/extract-snippets, checked by scripts/test.
        .testTarget(
            name: "SnippetTests",
            dependencies: ["TGCluster", "TGClusterTesting"],
            path: "Tests/SnippetTests"
        ),
        .testTarget(
            name: "FuzzTests",
            dependencies: ["FuzzTargets"]
        ),

        // The chaos soak (issue 17): the examples' clusters under faults and a seeded kill
        // schedule, audited (`scripts/chaos`; a short run in `scripts/test`).
        .target(
            name: "Chaos",
            dependencies: ["ClusterRuntime", "Sim", "TGClusterTesting", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Chaos/Chaos"
        ),
        .executableTarget(
            name: "tgcluster-chaos",
            dependencies: ["Chaos", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Chaos/tgcluster-chaos"
        ),
        .testTarget(
            name: "ChaosTests",
            dependencies: ["Chaos"]
        ),

        .testTarget(
            name: "BotAPITests",
            dependencies: [
                "BotAPI",
                "Locking",
                "Sim",
                "TGClusterTesting",
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "BusTests",
            dependencies: ["Bus", "Locking"]
        ),
        .testTarget(
            name: "WireTests",
            dependencies: ["Wire", "BotAPI"]
        ),
        .testTarget(
            name: "tgclusterTests",
            dependencies: ["BotAPI", "Sim", "TGClusterTesting"]
        ),
        .testTarget(
            name: "ClusterTests",
            dependencies: ["BotAPI", "Bus", "Wire", "TGBot", "ClusterRuntime", "Sim", "TGClusterTesting", "Locking",
                           .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "TGBotTests",
            dependencies: ["TGBot", "BotAPI"]
        ),
        .testTarget(
            name: "SimTests",
            dependencies: ["BotAPI", "Sim", "TGClusterTesting", "Locking"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
