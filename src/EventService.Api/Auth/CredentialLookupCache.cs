using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace EventService.Api.Auth;

/// <summary>A producer credential as the authentication handler needs it: its claims, and what it may post.</summary>
public sealed record ProducerIdentity(long Id, string Name, Producer Producer);

/// <summary>
/// Remembers valid credentials so that a request need not ask PostgreSQL who it is (a third of the CPU of a
/// one-event request, and one statement more per event). Revocation still works at once on every instance: a
/// revoke sends <c>NOTIFY</c> on <see cref="Channel"/>, and the cache is used only while this instance listens
/// (<see cref="RevocationListener"/>); without a listener it is emptied and bypassed. An entry lives at most
/// <see cref="CredentialCacheOptions.CredentialCacheLifetime"/> by the injected clock, the bound on a revocation
/// no instance heard (one made by hand in SQL, a lost notification).
/// </summary>
public sealed class CredentialLookupCache(TimeProvider time, IOptions<CredentialCacheOptions> options)
{
    public const string Channel = "eventservice_revocations";

    /// <summary>How long an entry may live even with no revocation heard (a bound on any missed notification).</summary>
    public TimeSpan Lifetime => options.Value.CredentialCacheLifetime;

    private readonly ConcurrentDictionary<string, (ProducerIdentity Producer, DateTimeOffset Until)> producers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(long TokenId, long OrganisationId), DateTimeOffset> applicationTokens = new();
    private long epoch;
    private volatile bool listening;

    /// <summary>Whether revocations are heard, and so whether anything is cached.</summary>
    public bool IsListening => listening;

    /// <summary>Changes with every revocation heard: a lookup that began before one must not be cached after it.</summary>
    public long Epoch => Interlocked.Read(ref epoch);

    public bool TryGetProducer(byte[] tokenHash, out ProducerIdentity producer)
    {
        producer = null!;
        if (!listening || !producers.TryGetValue(Convert.ToBase64String(tokenHash), out var entry) || entry.Until <= time.GetUtcNow())
        {
            return false;
        }

        producer = entry.Producer;
        return true;
    }

    public void AddProducer(byte[] tokenHash, ProducerIdentity producer, long lookupEpoch)
    {
        if (listening && lookupEpoch == Epoch)
        {
            var key = Convert.ToBase64String(tokenHash);
            var entry = (producer, time.GetUtcNow() + Lifetime);
            producers[key] = entry;
            // A revocation heard between the check and the write may have missed this entry: take it out again.
            if (!listening || lookupEpoch != Epoch)
            {
                producers.TryRemove(KeyValuePair.Create(key, entry));
            }
        }
    }

    public bool IsApplicationTokenLive(long tokenId, long organisationId) =>
        listening && applicationTokens.TryGetValue((tokenId, organisationId), out var until) && until > time.GetUtcNow();

    public void AddApplicationToken(long tokenId, long organisationId, long lookupEpoch)
    {
        if (listening && lookupEpoch == Epoch)
        {
            var until = time.GetUtcNow() + Lifetime;
            applicationTokens[(tokenId, organisationId)] = until;
            if (!listening || lookupEpoch != Epoch)
            {
                applicationTokens.TryRemove(KeyValuePair.Create((tokenId, organisationId), until));
            }
        }
    }

    public static string ProducerRevoked(long id) => $"producer:{id}";

    public static string ApplicationTokenRevoked(long id) => $"application_token:{id}";

    /// <summary>Raised after a revocation was applied, with its payload (for tests and diagnostics).</summary>
    public event Action<string>? Heard;

    /// <summary>Forgets what a revocation names (payloads of <see cref="ProducerRevoked"/> and <see cref="ApplicationTokenRevoked"/>).</summary>
    public void Revoked(string payload)
    {
        Interlocked.Increment(ref epoch);
        var (kind, idText) = payload.IndexOf(':') is var colon and > 0 ? (payload[..colon], payload[(colon + 1)..]) : (payload, "");
        if (!long.TryParse(idText, out var id))
        {
            Clear();
            Heard?.Invoke(payload);
            return;
        }

        if (kind == "producer")
        {
            foreach (var (key, entry) in producers)
            {
                if (entry.Producer.Id == id)
                {
                    producers.TryRemove(key, out _);
                }
            }
        }
        else
        {
            foreach (var key in applicationTokens.Keys.Where(k => k.TokenId == id))
            {
                applicationTokens.TryRemove(key, out _);
            }
        }

        Heard?.Invoke(payload);
    }

    /// <summary>Whether revocations are heard; when not, nothing is cached (and what was is dropped).</summary>
    public void SetListening(bool on)
    {
        // The epoch moves first: a lookup that began while nothing was heard must not be cached once listening.
        Interlocked.Increment(ref epoch);
        Clear();
        listening = on;
    }

    private void Clear()
    {
        producers.Clear();
        applicationTokens.Clear();
    }
}
