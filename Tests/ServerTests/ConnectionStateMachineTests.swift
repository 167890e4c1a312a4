import TLS
import Testing
@testable import Server

/// The connection's decisions alone: events in, actions out, no sockets (Connection is the shell that performs them).
struct ConnectionStateMachineTests {
    typealias Machine = ConnectionStateMachine
    static let timeouts = ConnectionTimeouts(handshake: 10_000, header: 5_000, idle: 30_000)
    let timeouts = Self.timeouts

    /// Runs one mutating step (a mutating call cannot sit inside #expect itself).
    func step<T>(_ machine: inout Machine, _ body: (inout Machine) -> T) -> T { body(&machine) }

    /// A machine accepted at `now` whose client's first bytes have arrived.
    func handshaking(acceptedAt now: Int = 0) -> Machine {
        var machine = Machine(now: now, timeouts: timeouts)
        #expect(step(&machine) { $0.firstBytesChecked(.arrived) } == .beginHandshake)
        return machine
    }

    /// A machine whose handshake completed at `now`.
    func open(at now: Int = 1_000) -> Machine {
        var machine = handshaking()
        #expect(step(&machine) { $0.handshakeStepped(.done(0), refusal: nil, now: now, timeouts: timeouts) } == .startExchange)
        return machine
    }

    /// A machine that answered a request and keeps the connection alive.
    func idle(at now: Int = 2_000) -> Machine {
        var machine = open()
        #expect(step(&machine) { $0.outputFlushed(exchangeFinished: false, midRequest: false, now: now, timeouts: timeouts) } == .continueReading)
        return machine
    }

    // MARK: first bytes

    @Test func anAcceptedConnectionLooksForItsFirstBytesWithinTheHandshakeTimeout() {
        var machine = Machine(now: 500, timeouts: timeouts)
        #expect(machine.state == .awaitingFirstBytes)
        #expect(machine.deadline == 10_500)
        #expect(machine.readable() == .checkFirstBytes)
        #expect(step(&machine) { $0.writable() } == .none)
        #expect(machine.drain() == .none)
    }

    @Test func firstBytesBeginTheHandshakeKeepingTheDeadline() {
        let machine = handshaking(acceptedAt: 500)
        #expect(machine.state == .handshaking)
        #expect(machine.deadline == 10_500)
    }

    @Test func noBytesYetKeepsWaiting() {
        var machine = Machine(now: 0, timeouts: timeouts)
        #expect(step(&machine) { $0.firstBytesChecked(.notYet) } == .none)
        #expect(machine.state == .awaitingFirstBytes)
        #expect(machine.readable() == .checkFirstBytes)
        #expect(step(&machine) { $0.firstBytesChecked(.arrived) } == .beginHandshake)
    }

    @Test func peerClosingBeforeSendingAnythingClosesWithoutTLS() {
        var machine = Machine(now: 0, timeouts: timeouts)
        #expect(step(&machine) { $0.firstBytesChecked(.peerClosed) } == .close)
        #expect(machine.state == .closed)
        #expect(machine.readable() == .none)
        #expect(step(&machine) { $0.firstBytesChecked(.arrived) } == .none)
    }

    @Test func silenceUntilTheHandshakeTimeoutIsCountedAsAHandshakeTimeout() {
        var machine = Machine(now: 0, timeouts: timeouts)
        #expect(step(&machine) { $0.timedOut() } == .failHandshake("timeout"))
        #expect(machine.state == .closed)
        #expect(step(&machine) { $0.firstBytesChecked(.arrived) } == .none)
    }

    @Test func aTLSSetupFailureIsCountedAndCloses() {
        var machine = handshaking()
        #expect(step(&machine) { $0.tlsSetupFailed() } == .failHandshake("tls_setup"))
        #expect(machine.state == .closed)
        #expect(step(&machine) { $0.tlsSetupFailed() } == .none)
    }

    @Test func handshakeStepsWaitForTheFirstBytes() {
        var machine = Machine(now: 0, timeouts: timeouts)
        #expect(step(&machine) { $0.handshakeStepped(.done(0), refusal: nil, now: 1, timeouts: timeouts) } == .none)
        #expect(machine.state == .awaitingFirstBytes)
    }

    // MARK: handshake

    @Test func handshakesWithinTheHandshakeTimeout() {
        var machine = handshaking(acceptedAt: 500)
        #expect(machine.state == .handshaking)
        #expect(machine.deadline == 10_500)
        #expect(machine.readable() == .continueHandshake)
        #expect(step(&machine) { $0.writable() } == .continueHandshake)
        #expect(machine.drain() == .none)
    }

    @Test func aTLSALPNChallengeHandshakeEndsWithCloseNotifyAndNoExchange() {
        var machine = handshaking()
        #expect(step(&machine) {
            $0.handshakeStepped(.done(0), refusal: nil, answeredChallenge: true, now: 10, timeouts: timeouts)
        } == .sendCloseNotify)
        #expect(step(&machine) { $0.closeNotifySent(quiet: true, now: 11, timeouts: timeouts) } == .close)
        #expect(machine.state == .closed)
    }

    @Test func waitsForWhatTheHandshakeWants() {
        var machine = handshaking()
        #expect(step(&machine) { $0.handshakeStepped(.wantRead, refusal: nil, now: 1, timeouts: timeouts) } == .none)
        #expect(step(&machine) { $0.handshakeStepped(.wantWrite, refusal: nil, now: 1, timeouts: timeouts) } == .awaitWritable)
        #expect(machine.state == .handshaking)
        #expect(machine.deadline == 10_000)
    }

    @Test func completedHandshakeStartsTheExchangeWithTheHeaderTimeout() {
        let machine = open(at: 1_000)
        #expect(machine.state == .open)
        #expect(machine.deadline == 6_000)
    }

    @Test func failedHandshakeIsCountedWithItsReasonAndCloses() {
        var failed = handshaking()
        #expect(step(&failed) { $0.handshakeStepped(.failed("no shared cipher"), refusal: nil, now: 1, timeouts: timeouts) }
                == .failHandshake("no shared cipher"))
        #expect(failed.state == .closed)

        var refused = handshaking()
        #expect(step(&refused) { $0.handshakeStepped(.failed("callback failed"), refusal: "unknown name", now: 1, timeouts: timeouts) }
                == .failHandshake("unknown name"))
        #expect(step(&refused) { $0.close() } == .none)
    }

    @Test func peerClosingDuringTheHandshakeCloses() {
        var machine = handshaking()
        #expect(step(&machine) { $0.handshakeStepped(.closed, refusal: nil, now: 1, timeouts: timeouts) } == .close)
        #expect(machine.state == .closed)
        #expect(machine.readable() == .none)
    }

    @Test func handshakeTimeoutIsCountedAndCloses() {
        var machine = handshaking()
        #expect(step(&machine) { $0.timedOut() } == .failHandshake("timeout"))
        #expect(machine.state == .closed)
    }

    // MARK: requests

    @Test func readsWhenOpen() {
        var machine = open()
        #expect(machine.readable() == .read)
        #expect(step(&machine) { $0.readStopped(.wantRead) } == .none)
        #expect(step(&machine) { $0.readStopped(.wantWrite) } == .awaitWritable)
        #expect(machine.state == .open)
    }

    @Test func keepAliveWaitsWithTheIdleTimeout() {
        let machine = idle(at: 2_000)
        #expect(machine.deadline == 32_000)
        #expect(machine.state == .open)
    }

    @Test func aHeadInProgressKeepsTheDeadlineItStartedWith() {
        // Pipelining or a slow client: the head timeout starts with the first bytes and is not extended by more.
        var machine = idle(at: 2_000)
        #expect(step(&machine) { $0.outputFlushed(exchangeFinished: false, midRequest: true, now: 3_000, timeouts: timeouts) } == .continueReading)
        #expect(machine.deadline == 8_000)
        #expect(step(&machine) { $0.outputFlushed(exchangeFinished: false, midRequest: true, now: 4_000, timeouts: timeouts) } == .continueReading)
        #expect(machine.deadline == 8_000)
        // Answered: idle again, then a new head gets a fresh head timeout.
        #expect(step(&machine) { $0.outputFlushed(exchangeFinished: false, midRequest: false, now: 5_000, timeouts: timeouts) } == .continueReading)
        #expect(machine.deadline == 35_000)
        _ = machine.outputFlushed(exchangeFinished: false, midRequest: true, now: 6_000, timeouts: timeouts)
        #expect(machine.deadline == 11_000)
    }

    @Test func anIdleTimeoutLetsTheExchangeSpeakLast() {
        var machine = idle()
        #expect(step(&machine) { $0.timedOut() } == .timeOutExchange)
        #expect(machine.state == .open)
    }

    // MARK: back-pressure

    @Test func outputTheClientDoesNotTakeStopsReading() {
        var machine = open()
        #expect(step(&machine) { $0.writeBlocked(now: 2_000, timeouts: timeouts) } == .stopReadingUntilWritable)
        #expect(machine.isWriteBlocked)
        #expect(machine.deadline == 32_000)
        // Draining waits for the output; a timeout means the client stopped reading.
        #expect(machine.drain() == .none)
        #expect(step(&machine) { $0.timedOut() } == .close)
        #expect(machine.state == .closed)
    }

    @Test func writableSocketFlushesAndResumesReading() {
        var machine = open()
        _ = machine.writeBlocked(now: 2_000, timeouts: timeouts)
        #expect(step(&machine) { $0.writable() } == .flushThenResumeReading)
        #expect(!machine.isWriteBlocked)
        #expect(machine.drain() == .drainExchange)
    }

    @Test func aFailedWriteCloses() {
        var machine = open()
        #expect(step(&machine) { $0.writeFailed() } == .close)
        #expect(step(&machine) { $0.writable() } == .none)
    }

    // MARK: closing

    @Test func theLastResponseIsCorkedOnce() {
        var machine = open()
        #expect(!step(&machine) { $0.shouldHoldLastSegments(exchangeFinished: false) })
        #expect(step(&machine) { $0.shouldHoldLastSegments(exchangeFinished: true) })
        #expect(!step(&machine) { $0.shouldHoldLastSegments(exchangeFinished: true) })
    }

    @Test func aFinishedExchangeSendsCloseNotify() {
        // The request budget spent, Connection: close, a malformed request, GOAWAY completed, a drain.
        var machine = open()
        #expect(step(&machine) { $0.outputFlushed(exchangeFinished: true, midRequest: false, now: 2_000, timeouts: timeouts) } == .sendCloseNotify)
    }

    @Test func closesAtOnceWhenNothingCanFollow() {
        var machine = open()
        #expect(step(&machine) { $0.closeNotifySent(quiet: true, now: 2_000, timeouts: timeouts) } == .close)
        #expect(machine.state == .closed)
    }

    @Test func lingersWhenInputMayStillArrive() {
        var machine = open()
        #expect(step(&machine) { $0.closeNotifySent(quiet: false, now: 2_000, timeouts: timeouts) } == .linger)
        #expect(machine.state == .lingering)
        #expect(machine.deadline == 4_000)
        #expect(machine.readable() == .discard)
        #expect(step(&machine) { $0.writable() } == .none)
        #expect(machine.drain() == .none)
        #expect(step(&machine) { $0.peerClosed() } == .close)
        #expect(machine.state == .closed)
    }

    @Test func lingeringEndsAtItsDeadline() {
        var machine = open()
        _ = machine.closeNotifySent(quiet: false, now: 2_000, timeouts: timeouts)
        #expect(step(&machine) { $0.timedOut() } == .close)
        #expect(step(&machine) { $0.timedOut() } == .none)
    }

    @Test func peerClosingWhileOpenCloses() {
        var reset = open()
        #expect(step(&reset) { $0.readStopped(.failed("reset")) } == .close)
        var closed = idle()
        #expect(step(&closed) { $0.readStopped(.closed) } == .close)
        #expect(closed.state == .closed)
    }

    @Test func drainLetsTheExchangeFinishWhenOutputIsTaken() {
        let machine = idle()
        #expect(machine.drain() == .drainExchange)
    }

    @Test func closesOnlyOnce() {
        var machine = open()
        #expect(step(&machine) { $0.close() } == .close)
        #expect(step(&machine) { $0.close() } == .none)
        #expect(machine.readable() == .none)
        #expect(machine.drain() == .none)
        #expect(step(&machine) { $0.outputFlushed(exchangeFinished: false, midRequest: false, now: 1, timeouts: timeouts) } == .none)
        #expect(step(&machine) { $0.writeBlocked(now: 1, timeouts: timeouts) } == .none)
    }

    @Test func staysSmall() {
        // Stored inline in every connection, idle ones included.
        #expect(MemoryLayout<Machine>.size <= 12)
        #expect(MemoryLayout<ProtocolExchange?>.size == 8)
    }
}
