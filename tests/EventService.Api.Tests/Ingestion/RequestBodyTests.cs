using EventService.Api.Ingestion;
using Microsoft.AspNetCore.Http;

namespace EventService.Api.Tests.Ingestion;

/// <summary>
/// The body buffer follows the bytes that arrived, not the Content-Length a client declares: seen from the body
/// stream, as the room each read is offered.
/// </summary>
public sealed class RequestBodyTests
{
    [Fact]
    public async Task A_body_that_declares_10_MB_and_trickles_is_offered_a_small_buffer_not_10_MB()
    {
        var body = new TricklingStream([new byte[100]], stallAfter: true);
        var request = Request(body, contentLength: 10 * 1024 * 1024);
        using var stop = new CancellationTokenSource();

        var read = RequestBody.ReadAsync(request, 10 * 1024 * 1024, stop.Token);
        await body.Stalled.Task;
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
        Assert.Equal(2, body.Capacities.Count);
        Assert.All(body.Capacities, capacity => Assert.InRange(capacity, 1, RequestBody.InitialBytes));
    }

    [Fact]
    public async Task The_buffer_grows_as_bytes_arrive_and_never_holds_more_than_twice_what_came()
    {
        var chunks = Enumerable.Range(0, 256).Select(i => Enumerable.Repeat((byte)i, 4096).ToArray()).ToList();
        var body = new TricklingStream(chunks, stallAfter: false);
        var request = Request(body, contentLength: null);

        using var read = await RequestBody.ReadAsync(request, 10 * 1024 * 1024, CancellationToken.None);

        Assert.NotNull(read);
        Assert.Equal(chunks.SelectMany(c => c).ToArray(), read.Memory.ToArray());
        Assert.All(body.Capacities.Zip(body.ArrivedBefore), pair =>
            Assert.True(pair.First <= Math.Max(RequestBody.InitialBytes, 2 * pair.Second),
                $"a buffer of {pair.First} bytes after {pair.Second} had arrived"));
    }

    [Fact]
    public async Task A_body_longer_than_the_limit_without_content_length_is_refused_once_the_limit_is_passed()
    {
        var body = new TricklingStream(Enumerable.Range(0, 10).Select(_ => new byte[1024]).ToList(), stallAfter: true);

        var read = await RequestBody.ReadAsync(Request(body, contentLength: null), 4096, CancellationToken.None);

        Assert.Null(read);
        Assert.Equal(5, body.Capacities.Count); // 5 KB had come: no read after the limit was passed
    }

    private static HttpRequest Request(Stream body, long? contentLength)
    {
        var context = new DefaultHttpContext();
        context.Request.Body = body;
        context.Request.ContentLength = contentLength;
        return context.Request;
    }

    /// <summary>Hands out one chunk per read (at most the room offered), then ends or stalls until cancelled.</summary>
    private sealed class TricklingStream(IReadOnlyList<byte[]> chunks, bool stallAfter) : Stream
    {
        private int next;
        private int offset;
        private long arrived;

        public List<int> Capacities { get; } = [];

        public List<long> ArrivedBefore { get; } = [];

        public TaskCompletionSource Stalled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            // The capacity of the buffer behind this read: what arrived so far plus the room offered.
            Capacities.Add((int)(arrived + buffer.Length));
            ArrivedBefore.Add(arrived);
            if (next == chunks.Count)
            {
                if (!stallAfter)
                {
                    return 0;
                }

                Stalled.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
            }

            var chunk = chunks[next];
            var n = Math.Min(buffer.Length, chunk.Length - offset);
            chunk.AsSpan(offset, n).CopyTo(buffer.Span);
            offset += n;
            if (offset == chunk.Length)
            {
                (next, offset) = (next + 1, 0);
            }

            arrived += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
