using Microsoft.AspNetCore.Mvc;

namespace EventService.Api.Infrastructure;

/// <summary>Answers with JSON that was already serialized (the event writer's output).</summary>
public sealed class JsonBytesResult(byte[] json, int statusCode) : IActionResult
{
    public async Task ExecuteResultAsync(ActionContext context)
    {
        var response = context.HttpContext.Response;
        response.StatusCode = statusCode;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = json.Length;
        await response.Body.WriteAsync(json, context.HttpContext.RequestAborted);
    }
}
