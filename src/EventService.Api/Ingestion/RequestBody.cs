using System.Buffers;

namespace EventService.Api.Ingestion;

/// <summary>A request body read into a pooled buffer; dispose to return the buffer.</summary>
public sealed class RequestBody : IDisposable
{
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

        var capacity = (int)Math.Min(request.ContentLength ?? 16 * 1024, maxBytes + 1);
        var rented = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 1024));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == rented.Length)
                {
                    if (length > maxBytes)
                    {
                        ArrayPool<byte>.Shared.Return(rented);
                        return null;
                    }

                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)rented.Length * 2, maxBytes + 1));
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
