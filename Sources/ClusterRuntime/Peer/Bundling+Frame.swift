import Bus
import Foundation
import Wire

extension Bundling {
    /// BUNDLE frames (`Frame.bundle`): the broker's sockets for workers and the sequencer, and
    /// their links to it. A damaged bundle is delivered as it came, and the receiver's decode
    /// says what is wrong with it; one its sender wrote itself (`PeerBundles`: the broker's JOBs,
    /// a worker's DONEs) goes as it is.
    static let frames = Bundling(pack: { Frame.bundle($0) }, unpack: { try? Frame.unbundle($0) }, isPacked: { Frame.isBundle($0) })
}
