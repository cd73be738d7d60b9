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
