using System.Net;
using System.Net.Http.Json;
using System.Text;
using EventService.Api.Infrastructure;
using EventService.Api.Tests.Infrastructure;
using StandardWebhooks;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Ingestion;

/// <summary>Signed producer posts, checked against the StandardWebhooks package's own signer.</summary>
public sealed class WebhookSignatureTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    private async Task<(HttpClient Client, string Secret)> SigningProducerAsync()
    {
        using var admin = Fixture.AdminClient();
        var response = await admin.PostAsJsonAsync("/api/v1/admin/producers", new { name = "signed", sources = new short[] { 0, 1 }, signing_secret = true });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await ReadJsonAsync(response);
        return (Fixture.Client(body["token"]!.GetValue<string>()), body["signing_secret"]!.GetValue<string>());
    }

    private static Task<HttpResponseMessage> PostSignedAsync(
        HttpClient client, string body, string? id, string? timestamp, string? signature, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/event") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        if (id is not null)
        {
            request.Headers.Add("webhook-id", id);
        }

        if (timestamp is not null)
        {
            request.Headers.Add("webhook-timestamp", timestamp);
        }

        if (signature is not null)
        {
            request.Headers.Add("webhook-signature", signature);
        }

        return client.SendAsync(request);
    }

    private static string Seconds(DateTimeOffset time) => time.ToUnixTimeSeconds().ToString();

    private async Task AssertRejectedAsync(HttpResponseMessage response)
    {
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, ProblemTypes.InvalidSignature);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(0, await CountEventsAsync());
        Assert.Equal(0, await CountQuarantineAsync());
    }

    [Fact]
    public async Task A_producer_asked_to_sign_gets_a_whsec_secret_once_and_is_listed_as_signed()
    {
        var (_, secret) = await SigningProducerAsync();

        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        Assert.Equal(32, Convert.FromBase64String(secret["whsec_".Length..]).Length);
        using var admin = Fixture.AdminClient();
        var list = await ReadJsonAsync(await admin.GetAsync("/api/v1/admin/producers"));
        Assert.True(list[0]!["signed"]!.GetValue<bool>());
        Assert.Null(list[0]!["signing_secret"]);
    }

    [Fact]
    public async Task A_post_signed_by_the_standard_webhooks_signer_is_accepted()
    {
        var (client, secret) = await SigningProducerAsync();
        var body = ValidEvent().ToJsonString();
        var now = Fixture.Time.GetUtcNow();

        var signature = new StandardWebhook(secret).Sign("msg_1", now, body);
        var response = await PostSignedAsync(client, body, "msg_1", Seconds(now), signature);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(1, await CountEventsAsync());
    }

    [Fact]
    public async Task A_signed_batch_is_verified_over_its_exact_bytes()
    {
        var (client, secret) = await SigningProducerAsync();
        // Odd spacing and a BOM-less multi-line body: the service must not re-serialise before checking.
        var body = "[\n  " + ValidEvent(id: 1).ToJsonString() + " ,\r\n" + ValidEvent(id: 2).ToJsonString() + "\n]";
        var now = Fixture.Time.GetUtcNow();

        var response = await PostSignedAsync(client, body, "msg_batch", Seconds(now), new StandardWebhook(secret).Sign("msg_batch", now, body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, await CountEventsAsync());
    }

    [Fact]
    public async Task Several_signatures_pass_when_one_matches_so_keys_can_rotate()
    {
        var (client, secret) = await SigningProducerAsync();
        var body = ValidEvent().ToJsonString();
        var now = Fixture.Time.GetUtcNow();
        var old = new StandardWebhook(Convert.ToBase64String(new byte[32])).Sign("msg_2", now, body);
        var current = new StandardWebhook(secret).Sign("msg_2", now, body);

        var response = await PostSignedAsync(client, body, "msg_2", Seconds(now), $"v1a,bm90IGEgc2lnbmF0dXJl {old} {current}");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task A_tampered_body_is_a_401_and_nothing_is_written()
    {
        var (client, secret) = await SigningProducerAsync();
        var now = Fixture.Time.GetUtcNow();
        var signature = new StandardWebhook(secret).Sign("msg_3", now, ValidEvent(id: 1).ToJsonString());

        await AssertRejectedAsync(await PostSignedAsync(client, ValidEvent(id: 2).ToJsonString(), "msg_3", Seconds(now), signature));
    }

    [Fact]
    public async Task A_changed_id_or_timestamp_is_a_401()
    {
        var (client, secret) = await SigningProducerAsync();
        var body = ValidEvent().ToJsonString();
        var now = Fixture.Time.GetUtcNow();
        var signature = new StandardWebhook(secret).Sign("msg_4", now, body);

        await AssertRejectedAsync(await PostSignedAsync(client, body, "msg_5", Seconds(now), signature));
        await AssertRejectedAsync(await PostSignedAsync(client, body, "msg_4", Seconds(now.AddSeconds(1)), signature));
    }

    [Fact]
    public async Task A_signature_with_another_secret_is_a_401()
    {
        var (client, _) = await SigningProducerAsync();
        var body = ValidEvent().ToJsonString();
        var now = Fixture.Time.GetUtcNow();

        var signature = new StandardWebhook(Convert.ToBase64String(Encoding.UTF8.GetBytes("another secret of 32 bytes......"))).Sign("msg_6", now, body);

        await AssertRejectedAsync(await PostSignedAsync(client, body, "msg_6", Seconds(now), signature));
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public async Task A_timestamp_more_than_five_minutes_off_is_a_401_even_when_correctly_signed(int offsetSeconds)
    {
        var (client, secret) = await SigningProducerAsync();
        var body = ValidEvent().ToJsonString();
        var then = Fixture.Time.GetUtcNow().AddSeconds(offsetSeconds);

        var response = await PostSignedAsync(client, body, "msg_7", Seconds(then), new StandardWebhook(secret).Sign("msg_7", then, body));

        await AssertRejectedAsync(response);
    }

    [Fact]
    public async Task A_timestamp_within_five_minutes_passes()
    {
        var (client, secret) = await SigningProducerAsync();
        var body = ValidEvent().ToJsonString();
        var then = Fixture.Time.GetUtcNow().AddSeconds(-299);

        var response = await PostSignedAsync(client, body, "msg_8", Seconds(then), new StandardWebhook(secret).Sign("msg_8", then, body));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData(null, "1", "v1,AAAA")]
    [InlineData("msg", null, "v1,AAAA")]
    [InlineData("msg", "1", null)]
    [InlineData("msg", "yesterday", "v1,AAAA")]
    [InlineData("msg", "-5", "v1,AAAA")]
    [InlineData("msg", "99999999999999999999", "v1,AAAA")]
    [InlineData("msg", "NOW", "v1,not base64!")]
    [InlineData("msg", "NOW", "v2,AAAA")]
    [InlineData("msg", "NOW", "")]
    public async Task Missing_or_malformed_webhook_headers_are_a_401(string? id, string? timestamp, string? signature)
    {
        var (client, _) = await SigningProducerAsync();

        var response = await PostSignedAsync(client, ValidEvent().ToJsonString(), id,
            timestamp == "NOW" ? Seconds(Fixture.Time.GetUtcNow()) : timestamp, signature);

        await AssertRejectedAsync(response);
    }

    [Fact]
    public async Task The_signature_is_checked_before_the_body_is_parsed()
    {
        var (client, _) = await SigningProducerAsync();

        await AssertRejectedAsync(await PostSignedAsync(client, "{not json", null, null, null));
    }

    [Fact]
    public async Task The_signature_covers_a_byte_order_mark_which_is_then_tolerated()
    {
        var (client, secret) = await SigningProducerAsync();
        var json = ValidEvent().ToJsonString();
        var body = "\uFEFF" + json;
        var now = Fixture.Time.GetUtcNow();

        var withoutBom = new StandardWebhook(secret).Sign("msg_bom", now, json);
        await AssertRejectedAsync(await PostSignedAsync(client, body, "msg_bom", Seconds(now), withoutBom));
        var response = await PostSignedAsync(client, body, "msg_bom", Seconds(now), new StandardWebhook(secret).Sign("msg_bom", now, body));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(1, await CountEventsAsync());
    }

    [Fact]
    public async Task Every_post_of_a_signing_producer_is_checked_not_only_the_first()
    {
        var (client, secret) = await SigningProducerAsync();
        var now = Fixture.Time.GetUtcNow();
        var signed = ValidEvent(id: 1).ToJsonString();
        Assert.Equal(HttpStatusCode.Created,
            (await PostSignedAsync(client, signed, "msg_9", Seconds(now), new StandardWebhook(secret).Sign("msg_9", now, signed))).StatusCode);

        // The credential is now remembered; its key must come with it.
        var unsigned = await PostJsonAsync(client, ValidEvent(id: 2));

        await AssertProblemAsync(unsigned, HttpStatusCode.Unauthorized, ProblemTypes.InvalidSignature);
        Assert.Equal(1, await CountEventsAsync());
    }

    private async Task AssertFirstAnswerReplayedAsync(HttpResponseMessage first, HttpResponseMessage replay)
    {
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(first.StatusCode, replay.StatusCode);
        Assert.Equal(first.Headers.Location, replay.Headers.Location);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await replay.Content.ReadAsStringAsync());
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
    }

    private Task<string> KeyRowsAsync() =>
        Fixture.QueryScalarAsync<string>("SELECT coalesce(string_agg(kind || ':' || key || ':' || status, ' ' ORDER BY kind, key), '') FROM idempotency_keys");

    [Fact]
    public async Task A_replayed_signed_post_gets_the_first_answer_and_is_stored_once()
    {
        var (client, secret) = await SigningProducerAsync();
        var body = ValidEvent(id: null).ToJsonString();
        var now = Fixture.Time.GetUtcNow();
        var signature = new StandardWebhook(secret).Sign("msg_replay", now, body);

        var first = await PostSignedAsync(client, body, "msg_replay", Seconds(now), signature);
        Fixture.Time.Advance(TimeSpan.FromMinutes(4));
        var replay = await PostSignedAsync(client, body, "msg_replay", Seconds(now), signature);

        await AssertFirstAnswerReplayedAsync(first, replay);
        Assert.Equal(1, await CountEventsAsync());
        Assert.Equal("webhook-id:msg_replay:201", await KeyRowsAsync());
    }

    [Fact]
    public async Task A_captured_signed_post_sent_again_with_an_idempotency_key_of_its_own_still_gets_the_first_answer()
    {
        // The signature does not cover Idempotency-Key: a replayer may add or change it, the webhook-id still holds.
        var (client, secret) = await SigningProducerAsync();
        var body = ValidEvent(id: null).ToJsonString();
        var now = Fixture.Time.GetUtcNow();
        var signature = new StandardWebhook(secret).Sign("msg_keyed", now, body);

        var first = await PostSignedAsync(client, body, "msg_keyed", Seconds(now), signature, idempotencyKey: "sender-key");
        var replay = await PostSignedAsync(client, body, "msg_keyed", Seconds(now), signature, idempotencyKey: "replayer-key");

        await AssertFirstAnswerReplayedAsync(first, replay);
        Assert.Equal(1, await CountEventsAsync());
        Assert.Equal("idempotency-key:sender-key:201 webhook-id:msg_keyed:201", await KeyRowsAsync());
    }

    [Fact]
    public async Task A_webhook_id_resent_with_a_fresh_signature_is_replayed_for_ten_minutes_then_is_new()
    {
        var (client, secret) = await SigningProducerAsync();
        var signer = new StandardWebhook(secret);
        var body = ValidEvent(id: null).ToJsonString();
        var seen = Fixture.Time.GetUtcNow();
        var first = await PostSignedAsync(client, body, "msg_retry", Seconds(seen), signer.Sign("msg_retry", seen, body));

        // A sender's retry: the same webhook-id, a new timestamp and signature.
        Fixture.Time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));
        var later = Fixture.Time.GetUtcNow();
        var retry = await PostSignedAsync(client, body, "msg_retry", Seconds(later), signer.Sign("msg_retry", later, body));
        Fixture.Time.Advance(TimeSpan.FromSeconds(1));
        var after = Fixture.Time.GetUtcNow();
        var anew = await PostSignedAsync(client, body, "msg_retry", Seconds(after), signer.Sign("msg_retry", after, body));

        await AssertFirstAnswerReplayedAsync(first, retry);
        Assert.Equal(HttpStatusCode.Created, anew.StatusCode);
        Assert.False(anew.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(2, await CountEventsAsync());
    }

    [Fact]
    public async Task The_same_webhook_id_signed_over_another_body_is_a_422_and_writes_nothing()
    {
        var (client, secret) = await SigningProducerAsync();
        var signer = new StandardWebhook(secret);
        var now = Fixture.Time.GetUtcNow();
        var body = ValidEvent(id: null).ToJsonString();
        var other = ValidEvent(id: 5).ToJsonString();
        Assert.Equal(HttpStatusCode.Created, (await PostSignedAsync(client, body, "msg_same", Seconds(now), signer.Sign("msg_same", now, body))).StatusCode);

        var response = await PostSignedAsync(client, other, "msg_same", Seconds(now), signer.Sign("msg_same", now, other));

        var problem = await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, ProblemTypes.IdempotencyKeyReused);
        Assert.Contains("webhook-id", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(1, await CountEventsAsync());
        Assert.Equal("webhook-id:msg_same:201", await KeyRowsAsync());
    }

    [Fact]
    public async Task A_producer_without_a_secret_posts_unsigned_as_before()
    {
        using var client = await ProducerClientAsync();

        var response = await PostJsonAsync(client, ValidEvent());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }
}
