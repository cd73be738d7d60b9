using System.Buffers;

namespace EventService.Api.Ingestion;

/// <summary>A request body read into a pooled buffer; dispose to return the buffer.</summary>
public sealed class RequestBody : IDisposable
{
    /// <summary>
    /// The buffer a read starts with, whatever <c>Content-Length</c> declares: it doubles only as bytes arrive, so a
    /// client that declares 10 MB and trickles holds this much, not 16 MB.
    /// </summary>
    public const int InitialBytes = 16 * 1024;

    private byte[]? buffer;

    private RequestBody(byte[] buffer, int length)
    {
        this.buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlyMemory<byte> Memory => buffer.AsMemory(0, Length);

    /// <summary>Reads the whole body, or returns null as soon as it is known to exceed <paramref name="maxBytes"/>.</summary>
    public static async Task<RequestBody?> ReadAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes)
        {
            return null;
        }

        // One byte more than the limit, so that a body of exactly maxBytes is told from a longer one.
        var most = (int)Math.Min(maxBytes + 1, Array.MaxLength);
        var rented = ArrayPool<byte>.Shared.Rent((int)Math.Min(request.ContentLength + 1 ?? InitialBytes, Math.Min(InitialBytes, most)));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == rented.Length)
                {
                    if (length >= most)
                    {
                        ArrayPool<byte>.Shared.Return(rented);
                        return null;
                    }

                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)rented.Length * 2, most));
                    rented.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(rented);
                    rented = larger;
                }

                var read = await request.Body.ReadAsync(rented.AsMemory(length), ct);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > maxBytes)
                {
                    ArrayPool<byte>.Shared.Return(rented);
                    return null;
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(rented);
            throw;
        }

        return new RequestBody(rented, length);
    }

    public void Dispose()
    {
        if (buffer is { } b)
        {
            buffer = null;
            ArrayPool<byte>.Shared.Return(b);
        }
    }
}
