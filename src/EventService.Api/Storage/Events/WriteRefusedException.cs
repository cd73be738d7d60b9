namespace EventService.Api.Storage.Events;

/// <summary>
/// An ingest request the writers did not take: its deadline passed while it waited (for room in the write queue, or
/// for a writer), or the queue and its waiting room were full. Nothing of it was written; the client may retry.
/// </summary>
public sealed class WriteRefusedException(string message) : Exception(message);
