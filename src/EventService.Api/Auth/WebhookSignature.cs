using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace EventService.Api.Auth;

/// <summary>
/// Standard Webhooks signatures (standardwebhooks.com): <c>webhook-signature</c> holds one or more space-separated
/// <c>v1,&lt;base64 HMAC-SHA256&gt;</c> over <c>{webhook-id}.{webhook-timestamp}.{raw body}</c>; any one that
/// matches passes, so a producer may sign with an old and a new secret while it rotates keys. A verified
/// <c>webhook-id</c> also names the request for replays (Ingestion/Idempotency): a captured post sent again within
/// the tolerance gets the first answer and writes nothing.
/// </summary>
public static class WebhookSignature
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";
    public const string SecretPrefix = "whsec_";

    /// <summary>How far <c>webhook-timestamp</c> may lie from now, either way (the spec's recommendation).</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    private const int MaxHeaderLength = 4096;

    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(32);

    public static string Format(byte[] secret) => SecretPrefix + Convert.ToBase64String(secret);

    /// <summary>Null when the request is signed with <paramref name="key"/>, else why it is not.</summary>
    public static string? Verify(IHeaderDictionary headers, ReadOnlySpan<byte> body, byte[] key, DateTimeOffset now)
    {
        string? id = headers[IdHeader];
        string? timestamp = headers[TimestampHeader];
        string? signatures = headers[SignatureHeader];
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signatures))
        {
            return $"This producer signs its requests: send the {IdHeader}, {TimestampHeader} and {SignatureHeader} headers.";
        }

        if (id.Length > MaxHeaderLength || signatures.Length > MaxHeaderLength)
        {
            return "The webhook headers are too long.";
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return $"{TimestampHeader} must be whole seconds since the Unix epoch.";
        }

        var sent = DateTimeOffset.FromUnixTimeSeconds(seconds);
        if (sent < now - Tolerance || sent > now + Tolerance)
        {
            return $"{TimestampHeader} is more than {Tolerance.TotalMinutes} minutes away from the service's clock.";
        }

        var expected = Compute(key, id, timestamp, body);
        Span<byte> candidate = stackalloc byte[64];
        foreach (var entry in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            // Other versions (v1a: asymmetric) are skipped, as the spec asks.
            if (entry.StartsWith("v1,", StringComparison.Ordinal)
                && Convert.TryFromBase64String(entry[3..], candidate, out var written)
                && CryptographicOperations.FixedTimeEquals(candidate[..written], expected))
            {
                return null;
            }
        }

        return $"No {SignatureHeader} entry matches the body: sign '{{{IdHeader}}}.{{{TimestampHeader}}}.{{body}}' with HMAC-SHA256 and the producer's secret.";
    }

    private static byte[] Compute(byte[] key, string id, string timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(prefix);
        hmac.AppendData(body);
        return hmac.GetHashAndReset();
    }
}
