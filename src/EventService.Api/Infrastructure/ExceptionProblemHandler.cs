using Microsoft.AspNetCore.Diagnostics;
using EventService.Api.Storage.Events;
using Npgsql;

namespace EventService.Api.Infrastructure;

/// <summary>
/// Turns exceptions into problem+json without leaking internals: a bad request stays a 4xx, an unreachable
/// database is a 503 with Retry-After, anything else a bare 500 with the trace id to find it in the logs.
/// </summary>
public sealed partial class ExceptionProblemHandler(ILogger<ExceptionProblemHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (context.Response.HasStarted)
        {
            return false;
        }

        switch (exception)
        {
            case BadHttpRequestException bad:
                await Problems.WriteAsync(context, bad.StatusCode,
                    bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? ProblemTypes.PayloadTooLarge : ProblemTypes.InvalidBody,
                    bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Payload Too Large" : "Bad Request",
                    bad.Message);
                return true;

            case WriteRefusedException refused:
                LogWriteRefused(refused.Message);
                context.Response.Headers.RetryAfter = "5";
                await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ProblemTypes.WriteRefused,
                    "Service Unavailable", refused.Message + " Retry after the seconds in Retry-After.");
                return true;

            case OperationCanceledException when context.RequestAborted.IsCancellationRequested:
                // The client went away; there is nobody to answer.
                context.Response.StatusCode = 499;
                return true;

            case OperationCanceledException:
                // Not the client's doing: the host is stopping and gave up on the write (which rolled back).
                context.Response.Headers.RetryAfter = "5";
                await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ProblemTypes.DatabaseUnavailable,
                    "Service Unavailable", "The service is shutting down; retry shortly.");
                return true;

            case var _ when IsDatabaseUnavailable(exception):
                LogDatabaseUnavailable(exception.Message);
                context.Response.Headers.RetryAfter = "5";
                await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ProblemTypes.DatabaseUnavailable,
                    "Service Unavailable", "The database is not reachable right now; retry shortly.");
                return true;

            default:
                LogUnexpected(exception, context.TraceIdentifier);
                await Problems.WriteAsync(context, StatusCodes.Status500InternalServerError, ProblemTypes.Internal,
                    "Internal Server Error", "An unexpected error occurred; it has been logged.");
                return true;
        }
    }

    // EF Core wraps Npgsql's errors (an InvalidOperationException around a transient NpgsqlException), so look inside.
    private static bool IsDatabaseUnavailable(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is NpgsqlException { IsTransient: true } or TimeoutException
                || (exception is PostgresException postgres && postgres.SqlState.StartsWith("57P", StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database unavailable: {Reason}")]
    private partial void LogDatabaseUnavailable(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest request refused: {Reason}")]
    private partial void LogWriteRefused(string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception (trace {TraceId})")]
    private partial void LogUnexpected(Exception exception, string traceId);
}
