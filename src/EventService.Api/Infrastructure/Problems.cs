using System.Text.Json;
using Microsoft.AspNetCore.Mvc;

namespace EventService.Api.Infrastructure;

/// <summary>Writes problem+json bodies through the framework's <see cref="IProblemDetailsService"/>.</summary>
public static class Problems
{
    public static ProblemDetails Create(HttpContext context, int status, string type, string title, string? detail) =>
        new() { Status = status, Type = type, Title = title, Detail = detail, Instance = context.Request.Path };

    public static Task WriteAsync(HttpContext context, int status, string type, string title, string? detail) =>
        WriteAsync(context, Create(context, status, type, title, detail));

    public static IActionResult Result(HttpContext context, int status, string type, string title, string? detail) =>
        new ProblemResult(Create(context, status, type, title, detail));

    /// <summary>
    /// The answer to a request body that does not bind or validate: our problem type, errors keyed by the snake_case
    /// JSON names clients send (the framework keys them by C# property names).
    /// </summary>
    public static IActionResult FromModelState(ActionContext context)
    {
        var errors = context.ModelState
            .Where(entry => entry.Value is { Errors.Count: > 0 })
            .ToDictionary(
                entry => entry.Key.StartsWith('$') ? entry.Key : JsonNamingPolicy.SnakeCaseLower.ConvertName(entry.Key),
                entry => entry.Value!.Errors.Select(e => string.IsNullOrEmpty(e.ErrorMessage) ? "is not valid" : e.ErrorMessage).ToArray());
        if (errors.Count > 1)
        {
            // The framework adds "request is required" beside the real reason when the body does not parse.
            errors.Remove("request");
        }

        return new ProblemResult(new ValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status400BadRequest,
            Type = ProblemTypes.Validation,
            Title = "The request is not valid.",
            Detail = "See 'errors': messages keyed by field.",
            Instance = context.HttpContext.Request.Path,
        });
    }

    public static Task WriteAsync(HttpContext context, ProblemDetails problem)
    {
        context.Response.StatusCode = problem.Status ?? StatusCodes.Status500InternalServerError;
        return context.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }).AsTask();
    }
}

/// <summary>Answers with a problem+json body through <see cref="IProblemDetailsService"/>, whatever the action's content negotiation says.</summary>
public sealed class ProblemResult(ProblemDetails problem) : IActionResult
{
    public Task ExecuteResultAsync(ActionContext context) => Problems.WriteAsync(context.HttpContext, problem);
}
