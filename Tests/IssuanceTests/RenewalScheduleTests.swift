import Testing
@testable import Issuance

struct RenewalScheduleTests {
    @Test func renewsWhenAThirdOfTheLifetimeRemains() {
        // 90 days from day 0: without jitter, day 60.
        #expect(RenewalSchedule.renewalTime(notBefore: 0, notAfter: 90 * 86_400, jitter: 0) == 60 * 86_400)
    }

    @Test func jitterOnlyMovesTheRenewalEarlierAndStaysBounded() {
        let lifetime = 120
        let times = stride(from: 0.0, to: 1.0, by: 0.05).map {
            RenewalSchedule.renewalTime(notBefore: 1_000, notAfter: 1_000 + lifetime, jitter: $0)
        }
        let latest = 1_000 + lifetime - lifetime / 3
        #expect(times.allSatisfy { $0 <= latest && $0 >= latest - lifetime / 10 })
        #expect(Set(times).count > 1)
        #expect(times == times.sorted(by: >))
    }

    @Test func anEarlierRenewalWindowFromTheCAWins() {
        let window = RenewalSchedule.Window(start: 10 * 86_400, end: 12 * 86_400)
        let time = RenewalSchedule.renewalTime(notBefore: 0, notAfter: 90 * 86_400, jitter: 0.5, window: window)
        #expect(time == 11 * 86_400)
    }

    @Test func aLaterRenewalWindowDoesNotPostponeOurs() {
        let window = RenewalSchedule.Window(start: 80 * 86_400, end: 85 * 86_400)
        let ours = RenewalSchedule.renewalTime(notBefore: 0, notAfter: 90 * 86_400, jitter: 0.5)
        #expect(RenewalSchedule.renewalTime(notBefore: 0, notAfter: 90 * 86_400, jitter: 0.5, window: window) == ours)
    }

    @Test func backoffDoublesFromAMinuteToADay() {
        let delays = (1...14).map { RetryBackoff.delay(afterFailures: $0) }
        #expect(Array(delays.prefix(4)) == [60, 120, 240, 480])
        #expect(delays.last == 86_400)
        #expect(delays == delays.sorted())
        #expect(RetryBackoff.delay(afterFailures: 1_000) == 86_400)
    }

    @Test func backoffIsNeverShorterThanTheCAsRetryAfter() {
        #expect(RetryBackoff.delay(afterFailures: 1, retryAfter: 3_600) == 3_600)
        #expect(RetryBackoff.delay(afterFailures: 5, retryAfter: 10) == 960)
        #expect(RetryBackoff.delay(afterFailures: 1, retryAfter: 7 * 86_400) == 7 * 86_400)
    }
}
