using System.Security.Cryptography;
using System.Text;

namespace EventService.Api.Auth;

/// <summary>Creates bearer tokens and the hashes they are stored as.</summary>
public static class Tokens
{
    public const string ProducerPrefix = "esp_";
    public const string ApplicationPrefix = "est_";

    public static string NewProducerToken() => ProducerPrefix + RandomText();

    public static string NewApplicationToken() => ApplicationPrefix + RandomText();

    private static string RandomText() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    // Tokens carry 256 random bits, so a plain SHA-256 is enough: there is nothing to brute-force.
    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Hash(a), Hash(b));
}
