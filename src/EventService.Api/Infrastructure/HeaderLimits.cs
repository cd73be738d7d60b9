namespace EventService.Api.Infrastructure;

/// <summary>
/// Request headers larger than <c>Hosting:MaxRequestHeadersBytes</c> (names and values together) answer 431 with a
/// problem body. The limit sits below Kestrel's own (<c>Kestrel:Limits:MaxRequestHeadersTotalSize</c>, 32 KB), which
/// rejects larger headers with a bare 431 before any of our code runs.
/// </summary>
public static class HeaderLimits
{
    public const int DefaultMaxBytes = 16 * 1024;

    public static WebApplication UseHeaderLimits(this WebApplication app)
    {
        var max = app.Configuration.GetValue("Hosting:MaxRequestHeadersBytes", DefaultMaxBytes);
        if (max < 1024)
        {
            throw new InvalidOperationException("Hosting:MaxRequestHeadersBytes must be at least 1024.");
        }

        app.Use((context, next) =>
        {
            long size = 0;
            foreach (var (name, values) in context.Request.Headers)
            {
                size += name.Length;
                foreach (var value in values)
                {
                    size += value?.Length ?? 0;
                }
            }

            return size <= max
                ? next(context)
                : Problems.WriteAsync(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, ProblemTypes.HeadersTooLarge,
                    "Request Header Fields Too Large", $"The request headers hold more than {max} bytes.");
        });
        return app;
    }
}
