namespace Lait.Engine.Kernels;

/// <summary>Splits "do something to rows 0..Rows-1" into chunks for the worker pool.</summary>
public abstract class RowJob : IParallelWork
{
    private int _rows;
    private int _chunk;

    /// <summary>Runs <see cref="ExecuteRows"/> over all rows, in chunks of at least <paramref name="minChunk"/> rows.</summary>
    public void Run(int rows, int minChunk, WorkerPool pool)
    {
        if (rows == 0)
        {
            return;
        }

        _rows = rows;
        // About 4 chunks per worker balances load without many tiny tasks.
        _chunk = Math.Max(minChunk, (rows + 4 * pool.WorkerCount - 1) / (4 * pool.WorkerCount));
        pool.Run(this, (rows + _chunk - 1) / _chunk);
    }

    void IParallelWork.Execute(int part, int worker)
    {
        int start = part * _chunk;
        ExecuteRows(start, Math.Min(_rows, start + _chunk));
    }

    protected abstract void ExecuteRows(int start, int end);
}
